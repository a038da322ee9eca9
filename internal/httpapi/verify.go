package httpapi

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strings"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/tmpl"
	"github.com/openreg/registration/internal/verification"
)

//go:embed pages/page.html
var pageFS embed.FS

var pageTemplate = func() *tmpl.Template {
	src, err := pageFS.ReadFile("pages/page.html")
	if err != nil {
		panic(err)
	}
	return tmpl.Must(tmpl.Parse("pages/page.html", string(src), tmpl.HTML))
}()

// pageText is the wording of the confirm page, per language.
type pageText struct {
	ConfirmTitle, ConfirmText, Button                string
	PasswordLabel, MismatchText, ReplacedTitle       string
	ReplacedText                                     string
	InvalidTitle, InvalidText                        string
	ExpiredTitle, ExpiredText                        string
	VerifiedTitle, VerifiedText, PendingApprovalText string
	UnavailableTitle, UnavailableText                string
	LoginLink                                        string
}

var pageTexts = map[string]pageText{
	"en": {
		ConfirmTitle: "Confirm your email address", ConfirmText: "Type the password you chose when you registered and press the button to confirm your email address and activate your account.", Button: "Confirm",
		PasswordLabel: "Password", MismatchText: "This is not the password chosen at registration. Try again.",
		ReplacedTitle: "This link was replaced", ReplacedText: "A newer link was mailed to you; only the most recent one works. Use the link in the most recent mail, or request a new one.",
		InvalidTitle: "This link is not valid", InvalidText: "The link is incomplete or was replaced by a newer one. Use the link in the most recent mail, or request a new one.",
		ExpiredTitle: "This link has expired", ExpiredText: "Confirmation links are valid for a limited time. Request a new one from the store.",
		VerifiedTitle: "Your email address is confirmed", VerifiedText: "Your account is active. You can sign in now.",
		PendingApprovalText: "Thank you. The store will review your account; you will be able to sign in once it is approved.",
		UnavailableTitle:    "Please try again", UnavailableText: "We could not confirm your address just now. Nothing was changed; please try again in a moment.",
		LoginLink: "Go to sign-in",
	},
	"de": {
		ConfirmTitle: "E-Mail-Adresse bestätigen", ConfirmText: "Geben Sie das Passwort ein, das Sie bei der Registrierung gewählt haben, und klicken Sie auf die Schaltfläche, um Ihre E-Mail-Adresse zu bestätigen und Ihr Konto zu aktivieren.", Button: "Bestätigen",
		PasswordLabel: "Passwort", MismatchText: "Das ist nicht das bei der Registrierung gewählte Passwort. Bitte versuchen Sie es erneut.",
		ReplacedTitle: "Dieser Link wurde ersetzt", ReplacedText: "Wir haben Ihnen einen neueren Link geschickt; nur der neueste gilt. Verwenden Sie den Link aus der neuesten E-Mail oder fordern Sie einen neuen an.",
		InvalidTitle: "Dieser Link ist ungültig", InvalidText: "Der Link ist unvollständig oder wurde durch einen neueren ersetzt. Verwenden Sie den Link aus der neuesten E-Mail oder fordern Sie einen neuen an.",
		ExpiredTitle: "Dieser Link ist abgelaufen", ExpiredText: "Bestätigungslinks sind nur begrenzt gültig. Fordern Sie im Shop einen neuen an.",
		VerifiedTitle: "Ihre E-Mail-Adresse ist bestätigt", VerifiedText: "Ihr Konto ist aktiv. Sie können sich jetzt anmelden.",
		PendingApprovalText: "Vielen Dank. Der Shop prüft Ihr Konto; Sie können sich anmelden, sobald es freigegeben ist.",
		UnavailableTitle:    "Bitte versuchen Sie es erneut", UnavailableText: "Wir konnten Ihre Adresse gerade nicht bestätigen. Es wurde nichts geändert; bitte versuchen Sie es gleich noch einmal.",
		LoginLink: "Zur Anmeldung",
	},
}

type pageView struct {
	Lang, Store, Title, Text, Button, Token, Action, Link, LinkText string
	PasswordLabel, Error                                            string
}

// values are what the page template sees.
func (v pageView) values() map[string]string {
	return map[string]string{"Lang": v.Lang, "Store": v.Store, "Title": v.Title, "Text": v.Text, "Button": v.Button,
		"Token": v.Token, "Action": v.Action, "Link": v.Link, "LinkText": v.LinkText, "PasswordLabel": v.PasswordLabel,
		"Error": v.Error}
}

// renderPage answers an HTML page. The page's URL carries a secret token,
// so it must not leak through the Referer header, be framed, or run script.
// Its form may post to the public API and be redirected on to the
// storefront; browsers check both against form-action.
func (a *API) renderPage(status int, v pageView) *Response {
	v.Action = a.settings.URLs.PublicAPI + verification.Path
	body, err := pageTemplate.Execute(v.values())
	if err != nil {
		a.log.Error("confirm page", "error", err)
		return &Response{Status: http.StatusInternalServerError, Headers: baseHeaders(), Body: "Internal error."}
	}
	h := baseHeaders()
	h["Content-Type"] = "text/html; charset=utf-8"
	h["Referrer-Policy"] = "no-referrer"
	h["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' " +
		origin(a.settings.URLs.PublicAPI) + " " + origin(a.settings.URLs.Storefront) + "; frame-ancestors 'none'; base-uri 'none'"
	h["X-Frame-Options"] = "DENY"
	return &Response{Status: status, Headers: h, Body: body}
}

func (a *API) texts(r *Request) (string, pageText) {
	lang := a.settings.Language(r.Languages())
	t, ok := pageTexts[lang]
	if !ok {
		lang, t = "en", pageTexts["en"]
	}
	return lang, t
}

// confirmPage answers GET and HEAD of the mailed link. It reads nothing and
// writes nothing, so mail scanners that fetch links cannot verify anyone or
// burn a token: only the button's POST confirms.
func (a *API) confirmPage(_ context.Context, r *Request) (*Response, error) {
	lang, t := a.texts(r)
	tok := r.Query.Get("token")
	if err := verification.CheckShape(tok); err != nil {
		return a.renderPage(http.StatusBadRequest, pageView{Lang: lang, Store: a.settings.StoreName, Title: t.InvalidTitle, Text: t.InvalidText}), nil
	}
	return a.renderPage(http.StatusOK, a.confirmForm(lang, t, tok, "")), nil
}

func (a *API) confirmForm(lang string, t pageText, tok, problem string) pageView {
	return pageView{Lang: lang, Store: a.settings.StoreName, Title: t.ConfirmTitle, Text: t.ConfirmText,
		Button: t.Button, Token: tok, PasswordLabel: t.PasswordLabel, Error: problem}
}

type verifyBody struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

type verifiedBody struct {
	Status          string `json:"status"`
	CustomerID      string `json:"customerId,omitempty"`
	SessionToken    string `json:"sessionToken,omitempty"`
	ExpiresAt       string `json:"expiresAt,omitempty"`
	AlreadyVerified bool   `json:"alreadyVerified,omitempty"`
}

// confirmEmail answers POST /v1/verify-email: a form post from the confirm
// page gets a redirect with the session cookie (or the page again), a JSON
// call gets JSON with the session.
func (a *API) confirmEmail(ctx context.Context, r *Request) (*Response, error) {
	if err := r.checkBody(); err != nil {
		return nil, err
	}
	mt := r.mediaType()
	var b verifyBody
	form := mt == "application/x-www-form-urlencoded"
	switch {
	case form:
		vals, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return nil, apperr.New(apperr.MalformedBody, "The form body is malformed.")
		}
		b.Token, b.Password = vals.Get("token"), vals.Get("password")
	case isJSON(mt):
		if err := decodeStrict(r.Body, &b); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.New(apperr.UnsupportedMediaType, "Send the token and password form-encoded or as application/json.")
	}
	res, err := a.verify.Confirm(ctx, verification.Request{Token: strings.TrimSpace(b.Token), Password: b.Password, SourceIP: r.SourceIP})
	if form {
		return a.confirmResultPage(ctx, r, strings.TrimSpace(b.Token), res, err), nil
	}
	if err != nil {
		return nil, err
	}
	body := verifiedBody{Status: "verified", AlreadyVerified: res.AlreadyVerified}
	if res.Status == customer.PendingApproval {
		body.Status = string(customer.PendingApproval)
	}
	var cookies []string
	if res.Session != nil {
		body.CustomerID, body.ExpiresAt = res.CustomerID, rfc3339(res.Session.ExpiresAt)
		if r.WantsToken() {
			body.SessionToken = res.Session.Token
		}
		cookies = append(cookies, a.sessionCookie(res.Session.Token, res.Session.ExpiresAt, false))
	}
	resp := jsonResponse(http.StatusOK, body)
	resp.Cookies = cookies
	return resp, nil
}

// confirmResultPage sends a browser on to the storefront, signed in, or
// shows why it cannot.
func (a *API) confirmResultPage(ctx context.Context, r *Request, tok string, res verification.Result, err error) *Response {
	lang, t := a.texts(r)
	v := pageView{Lang: lang, Store: a.settings.StoreName, Link: a.loginURL(""), LinkText: t.LoginLink}
	if err == nil && res.AlreadyVerified {
		v.Title, v.Text = t.VerifiedTitle, t.VerifiedText
		if res.Status == customer.PendingApproval {
			v.Text = t.PendingApprovalText
		}
		return a.renderPage(http.StatusOK, v)
	}
	if err == nil {
		resp := emptyResponse(http.StatusSeeOther)
		if res.Session == nil { // waiting for approval
			resp.Headers["Location"] = a.loginURL("verified=1&approval=pending")
			return resp
		}
		target := res.ReturnURL
		if target == "" {
			target = a.settings.URLs.AccountPath
		}
		resp.Headers["Location"] = strings.TrimRight(a.settings.URLs.Storefront, "/") + redirect.Local(target)
		resp.Cookies = []string{a.sessionCookie(res.Session.Token, res.Session.ExpiresAt, false)}
		return resp
	}
	e := apperr.As(err)
	status := StatusOf(e.Code)
	retry := ""
	switch e.Code {
	case apperr.PasswordMismatch, apperr.Validation:
		return a.renderPage(status, a.confirmForm(lang, t, tok, t.MismatchText))
	case apperr.TokenExpired:
		v.Title, v.Text = t.ExpiredTitle, t.ExpiredText
	case apperr.TokenReplaced:
		v.Title, v.Text = t.ReplacedTitle, t.ReplacedText
	case apperr.TokenInvalid:
		v.Title, v.Text = t.InvalidTitle, t.InvalidText
	default:
		retry = a.failure(ctx, r, err).Headers["Retry-After"] // also logs the cause
		v.Title, v.Text, v.Link = t.UnavailableTitle, t.UnavailableText, ""
	}
	resp := a.renderPage(status, v)
	if retry != "" {
		resp.Headers["Retry-After"] = retry
	}
	return resp
}

func (a *API) loginURL(query string) string {
	u := strings.TrimRight(a.settings.URLs.Storefront, "/") + a.settings.URLs.LoginPath
	if query != "" {
		u += "?" + query
	}
	return u
}

type resendBody struct {
	Email string `json:"email"`
}

// resendLink answers POST /v1/verify-email/resend: 202 for every
// well-formed address, registered or not, verified or not.
func (a *API) resendLink(ctx context.Context, r *Request) (*Response, error) {
	var b resendBody
	if err := r.decodeJSON(&b); err != nil {
		return nil, err
	}
	if err := a.resend.Request(ctx, b.Email, r.Languages(), r.SourceIP); err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusAccepted, map[string]string{"status": "accepted"}), nil
}

// origin returns scheme://host of an absolute URL for a CSP source list.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
