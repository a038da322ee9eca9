package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/texts"
	"github.com/openreg/registration/internal/tmpl"
	"github.com/openreg/registration/internal/verification"
)

// The pages a mailed link opens, each a template in every language
// (package texts holds them beside the mails).
const (
	confirmPageFile     = "confirm_page.html"
	resetPageFile       = "reset_page.html"
	emailChangePageFile = "email_change_page.html"
)

var pageFiles = []string{confirmPageFile, resetPageFile, emailChangePageFile}

// Pages are the HTML pages a mailed link opens, in every language.
type Pages struct{ set *texts.Set }

// LoadPages parses the pages for languages, failing if any language lacks
// one or a page uses a name it is not given.
func LoadPages(languages []string, fallback string) (*Pages, error) {
	var files []texts.File
	for _, f := range pageFiles {
		files = append(files, texts.File{Name: f, Mode: tmpl.HTML})
	}
	set, err := texts.Load(languages, fallback, files)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	given := pageView{}.values()
	err = set.Each(func(lang, name string, t *tmpl.Template) error {
		for _, k := range t.Keys() {
			if _, ok := given[k]; !ok {
				return fmt.Errorf("httpapi: page %s/%s uses %q, which the page is not given", lang, name, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Pages{set: set}, nil
}

// pageState is what the confirm page shows; the template has the words for
// each state.
type pageState string

const (
	stateForm        pageState = "Form"
	stateInvalid     pageState = "Invalid"
	stateExpired     pageState = "Expired"
	stateReplaced    pageState = "Replaced"
	stateVerified    pageState = "Verified"
	stateUnavailable pageState = "Unavailable"
	// Done: a password was reset or an address changed.
	stateDone pageState = "Done"
	// ResetSent: the confirm page's "Forgot your password?" mailed a
	// reset link.
	stateResetSent pageState = "ResetSent"
	// Taken: the new address belongs to another account by now.
	stateTaken pageState = "Taken"
)

var pageStates = []pageState{stateForm, stateInvalid, stateExpired, stateReplaced, stateVerified, stateUnavailable,
	stateDone, stateTaken, stateResetSent}

type pageView struct {
	// File is the page's template; the confirm page when empty.
	File     string
	Lang     string
	State    pageState
	Token    string
	Link     string
	Mismatch bool // the form again, after a wrong password
	// PendingApproval: verified, but the store approves accounts first.
	PendingApproval bool
	// Weak: the form again, after a new password the policy refuses.
	Weak bool
	// Invite: the confirm page of an account made without a password (the
	// link says so): the customer chooses one.
	Invite                   bool
	store, action, minLength string
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// values are what the page template sees: one flag per state.
func (v pageView) values() map[string]string {
	m := map[string]string{"Store": v.store, "Token": v.Token, "Action": v.action, "Link": v.Link,
		"Mismatch": yes(v.Mismatch), "PendingApproval": yes(v.PendingApproval),
		"Active": yes(v.State == stateVerified && !v.PendingApproval), "Weak": yes(v.Weak), "MinLength": v.minLength,
		"Invite": yes(v.Invite), "Prove": yes(!v.Invite)}
	for _, s := range pageStates {
		m[string(s)] = yes(v.State == s)
	}
	return m
}

// renderPage answers an HTML page. The page's URL carries a secret token,
// so it must not leak through the Referer header, be framed, or run script.
// Its form may post to the public API and be redirected on to the
// storefront; browsers check both against form-action.
func (a *API) renderPage(status int, v pageView) *Response {
	if v.File == "" {
		v.File = confirmPageFile
	}
	v.store, v.minLength = a.settings.StoreName, strconv.Itoa(a.settings.PasswordPolicy.MinLength)
	v.action = a.settings.URLs.PublicAPI + map[string]string{confirmPageFile: verification.Path,
		resetPageFile: myaccount.ResetPath, emailChangePageFile: myaccount.EmailChangePath}[v.File]
	t, ok := a.pages.set.Get(v.Lang, v.File)
	body, err := "", error(nil)
	if ok {
		body, err = t.Execute(v.values())
	}
	if !ok || err != nil {
		a.log.Error("page", "page", v.File, "language", v.Lang, "error", err)
		return &Response{Status: http.StatusInternalServerError, Headers: baseHeaders(), Body: "Internal error."}
	}
	h := baseHeaders()
	h["Content-Type"] = "text/html; charset=utf-8"
	// same-origin: the token in the page's URL never leaves for another
	// site, and the page's own form posts carry its origin (under
	// no-referrer they would say "Origin: null"; see crosssite.go).
	h["Referrer-Policy"] = "same-origin"
	h["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' " +
		origin(a.settings.URLs.PublicAPI) + " " + origin(a.settings.URLs.Storefront) + "; frame-ancestors 'none'; base-uri 'none'"
	h["X-Frame-Options"] = "DENY"
	return &Response{Status: status, Headers: h, Body: body}
}

// pageLanguage is the language of a page for r: the best of the store's
// languages for the caller, if the pages speak it.
func (a *API) pageLanguage(r *Request) string {
	return a.pages.set.Language(a.settings.Language(r.Languages()))
}

// confirmPage answers GET and HEAD of the mailed link. It reads nothing and
// writes nothing, so mail scanners that fetch links cannot verify anyone or
// burn a token: only the button's POST confirms.
func (a *API) confirmPage(_ context.Context, r *Request) (*Response, error) {
	return a.linkPage(r, confirmPageFile, r.Query.Get("invite") == "1"), nil
}

// linkPage is the page (file) of a mailed link, for GET and HEAD: its form,
// or 400 and why not for a token that cannot be one. It reads and writes
// nothing: mail scanners fetch links. invite is the confirm page's (a link
// to an account made without a password).
func (a *API) linkPage(r *Request, file string, invite bool) *Response {
	v := pageView{File: file, Lang: a.pageLanguage(r)}
	tok := r.Query.Get("token")
	if err := verification.CheckShape(tok); err != nil {
		v.State = stateInvalid
		return a.renderPage(http.StatusBadRequest, v)
	}
	v.State, v.Token, v.Invite = stateForm, tok, invite
	return a.renderPage(http.StatusOK, v)
}

// verifyBody confirms with the link's token, or (JSON only) with the
// address and the 6-digit code mailed beside the link.
type verifyBody struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Code     string `json:"code"`
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
	if err := r.checkBody(MaxBody); err != nil {
		return nil, err
	}
	mt := r.mediaType()
	var b verifyBody
	invite := false
	form := mt == "application/x-www-form-urlencoded"
	switch {
	case form:
		vals, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return nil, apperr.New(apperr.MalformedBody, "The form body is malformed.")
		}
		if vals.Get("forgot") == "1" {
			return a.forgotPassword(ctx, r, strings.TrimSpace(vals.Get("token"))), nil
		}
		b.Token, b.Password, invite = vals.Get("token"), vals.Get("password"), vals.Get("invite") == "1"
	case isJSON(mt):
		if err := decodeStrict(r.Body, &b); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.New(apperr.UnsupportedMediaType, "Send the token and password form-encoded or as application/json.")
	}
	// A form post never takes the guest from the guest cookie: the form
	// is the confirm page's, and a cookie is all a page on another site
	// could make a browser send.
	guestID := ""
	if !form {
		guestID = r.GuestID()
	}
	storeID, err := r.storeID()
	if err != nil {
		return nil, err
	}
	res, err := a.verify.Confirm(ctx, verification.Request{Token: strings.TrimSpace(b.Token), Email: b.Email, Code: b.Code,
		StoreID: storeID, Password: b.Password, SourceIP: r.SourceIP, UserAgent: r.Headers["user-agent"], GuestID: guestID})
	if form {
		return a.confirmResultPage(ctx, r, strings.TrimSpace(b.Token), invite, res, err), nil
	}
	if err != nil {
		return nil, err
	}
	body := verifiedBody{Status: "verified", AlreadyVerified: res.AlreadyVerified}
	if res.Status == customer.PendingApproval {
		body.Status = string(customer.PendingApproval)
	}
	if res.Session != nil {
		body.CustomerID, body.ExpiresAt = res.CustomerID, rfc3339(res.Session.ExpiresAt)
		if r.WantsToken() {
			body.SessionToken = res.Session.Token
		}
	}
	return a.signedIn(jsonResponse(http.StatusOK, body), res.Session, false, res.HandedOver), nil
}

// confirmResultPage sends a browser on to the storefront, signed in, or
// shows why it cannot.
func (a *API) confirmResultPage(ctx context.Context, r *Request, tok string, invite bool, res verification.Result, err error) *Response {
	lang := a.pageLanguage(r)
	v := pageView{Lang: lang, Link: a.loginURL("")}
	if err == nil && res.AlreadyVerified {
		v.State, v.PendingApproval = stateVerified, res.Status == customer.PendingApproval
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
		return a.signedIn(resp, res.Session, false, res.HandedOver)
	}
	e := apperr.As(err)
	status := StatusOf(e.Code)
	retry := ""
	switch e.Code {
	case apperr.PasswordMismatch, apperr.Validation:
		return a.renderPage(status, pageView{Lang: lang, State: stateForm, Token: tok, Invite: invite,
			Mismatch: e.Code == apperr.PasswordMismatch, Weak: e.Code == apperr.Validation})
	case apperr.TokenExpired:
		v.State = stateExpired
	case apperr.TokenReplaced:
		v.State = stateReplaced
	case apperr.TokenInvalid:
		v.State = stateInvalid
	default:
		retry = a.failure(ctx, r, err).Headers["Retry-After"] // also logs the cause
		v.State, v.Link = stateUnavailable, ""
	}
	resp := a.renderPage(status, v)
	if retry != "" {
		resp.Headers["Retry-After"] = retry
	}
	return resp
}

// forgotPassword answers the confirm page's "Forgot your password?"
// button: a reset link goes to the address (account.RequestResetFromLink)
// and the page says so.
func (a *API) forgotPassword(ctx context.Context, r *Request, tok string) *Response {
	lang := a.pageLanguage(r)
	err := a.account.RequestResetFromLink(ctx, tok, r.Languages(), r.SourceIP)
	v := pageView{Lang: lang, State: stateResetSent}
	switch code := apperr.CodeOf(err); {
	case err == nil:
		return a.renderPage(http.StatusAccepted, v)
	case code == apperr.TokenInvalid:
		v.State = stateInvalid
	case code == apperr.TokenExpired:
		v.State = stateExpired
	default:
		resp := a.failure(ctx, r, err) // logs the cause
		page := a.renderPage(resp.Status, pageView{Lang: lang, State: stateUnavailable})
		if ra := resp.Headers["Retry-After"]; ra != "" {
			page.Headers["Retry-After"] = ra
		}
		return page
	}
	return a.renderPage(StatusOf(apperr.CodeOf(err)), v)
}

func (a *API) loginURL(query string) string {
	u := strings.TrimRight(a.settings.URLs.Storefront, "/") + a.settings.URLs.LoginPath
	if query != "" {
		u += "?" + query
	}
	return u
}

type resendBody struct {
	Email        string `json:"email"`
	CaptchaToken string `json:"captchaToken"`
}

// resendLink answers POST /v1/verify-email/resend: 202 for every
// well-formed address, registered or not, verified or not.
func (a *API) resendLink(ctx context.Context, r *Request, b resendBody) (*Response, error) {
	return answer(a.resend.Request(ctx, b.Email, b.CaptchaToken, r.Languages(), r.SourceIP), accepted())
}

// origin returns scheme://host of an absolute URL for a CSP source list.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
