package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/session"
)

// AccountManager runs My account (myaccount.Service).
type AccountManager interface {
	SignOutEverywhere(ctx context.Context, token, sourceIP string) error
	ChangePassword(ctx context.Context, token, current, next, sourceIP string) error
	RequestReset(ctx context.Context, email, captchaToken string, languages []string, sourceIP string) error
	RequestResetFromLink(ctx context.Context, verifyToken string, languages []string, sourceIP string) error
	ResetPassword(ctx context.Context, req myaccount.ResetRequest) error
	RequestEmailChange(ctx context.Context, token, newEmail, password, sourceIP string) error
	ConfirmEmailChange(ctx context.Context, token, sourceIP string) (string, error)
	UpdateProfile(ctx context.Context, token string, p myaccount.ProfilePatch, sourceIP string) (customer.Customer, error)
	Export(ctx context.Context, token string) (myaccount.Export, error)
	Erase(ctx context.Context, token, password, sourceIP string) error
	Devices(ctx context.Context, token string) ([]myaccount.Device, error)
	PasskeyOptions(ctx context.Context, token, password, code, sourceIP string) (json.RawMessage, error)
	AddPasskey(ctx context.Context, token string, credential []byte, name, sourceIP string) (passkey.Credential, error)
	ListPasskeys(ctx context.Context, token string) ([]passkey.Credential, error)
	RemovePasskey(ctx context.Context, token, id, sourceIP string) error
	EndDevice(ctx context.Context, token, id, sourceIP string) error
}

func accepted() *Response {
	return jsonResponse(http.StatusAccepted, map[string]string{"status": "accepted"})
}

// signOutEverywhere answers DELETE /v1/sessions.
func (a *API) signOutEverywhere(ctx context.Context, r *Request) (*Response, error) {
	return answer(a.account.SignOutEverywhere(ctx, r.SessionToken(), r.SourceIP), a.signedOut(emptyResponse(http.StatusNoContent)))
}

type passwordChangeBody struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// changePassword answers PUT /v1/customers/me/password.
func (a *API) changePassword(ctx context.Context, r *Request, b passwordChangeBody) (*Response, error) {
	return answer(a.account.ChangePassword(ctx, r.SessionToken(), b.CurrentPassword, b.NewPassword, r.SourceIP), emptyResponse(http.StatusNoContent))
}

type resetRequestBody struct {
	Email        string `json:"email"`
	CaptchaToken string `json:"captchaToken"`
}

// requestReset answers POST /v1/password-resets: 202 for every well-formed
// address.
func (a *API) requestReset(ctx context.Context, r *Request, b resetRequestBody) (*Response, error) {
	return answer(a.account.RequestReset(ctx, b.Email, b.CaptchaToken, r.Languages(), r.SourceIP), accepted())
}

// resetPage answers GET and HEAD of a mailed reset link: a form, and
// nothing read or written (mail scanners fetch links).
func (a *API) resetPage(_ context.Context, r *Request) (*Response, error) {
	return a.linkPage(r, resetPageFile, false), nil
}

// tokenPasswordBody is a reset: the link's token, or (JSON only) the
// address and the 6-digit code mailed beside the link.
type tokenPasswordBody struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// formOrJSON decodes a body that a page's form posts or a client sends as
// JSON into dst (strictly), taking a form's fields with fromForm; form
// reports which it was.
func (r *Request) formOrJSON(dst any, fromForm func(url.Values)) (form bool, err error) {
	if err := r.checkBody(MaxBody); err != nil {
		return false, err
	}
	mt := r.mediaType()
	switch {
	case mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(r.Body))
		if err != nil {
			return true, apperr.New(apperr.MalformedBody, "The form body is malformed.")
		}
		fromForm(vals)
		return true, nil
	case isJSON(mt):
		return false, decodeStrict(r.Body, dst)
	}
	return false, apperr.New(apperr.UnsupportedMediaType, "Send the body form-encoded or as application/json.")
}

// resetPassword answers POST /v1/password-reset: a form post is sent on to
// the storefront's sign-in (or shown the page again), a JSON call gets 204.
func (a *API) resetPassword(ctx context.Context, r *Request) (*Response, error) {
	var b tokenPasswordBody
	form, err := r.formOrJSON(&b, func(v url.Values) { b.Token, b.Password = v.Get("token"), v.Get("password") })
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(b.Token)
	storeID, err := r.storeID()
	if err != nil {
		return nil, err
	}
	err = a.account.ResetPassword(ctx, myaccount.ResetRequest{Token: tok, Email: b.Email, Code: b.Code, StoreID: storeID,
		Password: b.Password, SourceIP: r.SourceIP})
	if !form {
		if err != nil {
			return nil, err
		}
		return emptyResponse(http.StatusNoContent), nil
	}
	if err == nil {
		resp := emptyResponse(http.StatusSeeOther)
		resp.Headers["Location"] = a.loginURL("reset=1")
		return resp, nil
	}
	v := pageView{File: resetPageFile, Lang: a.pageLanguage(r), Link: a.loginURL("")}
	return a.linkFailurePage(ctx, r, v, tok, err), nil
}

// linkFailurePage shows why a link page's form did not work.
func (a *API) linkFailurePage(ctx context.Context, r *Request, v pageView, tok string, err error) *Response {
	e := apperr.As(err)
	status := StatusOf(e.Code)
	switch e.Code {
	case apperr.Validation:
		v.State, v.Token, v.Weak, v.Link = stateForm, tok, true, ""
	case apperr.TokenExpired:
		v.State = stateExpired
	case apperr.TokenInvalid, apperr.TokenReplaced:
		v.State = stateInvalid
	case apperr.EmailTaken:
		v.State = stateTaken
	default:
		retry := a.failure(ctx, r, err).Headers["Retry-After"] // also logs the cause
		v.State, v.Link = stateUnavailable, ""
		resp := a.renderPage(status, v)
		if retry != "" {
			resp.Headers["Retry-After"] = retry
		}
		return resp
	}
	return a.renderPage(status, v)
}

type emailChangeBody struct {
	NewEmail string `json:"newEmail"`
	Password string `json:"password"`
}

// requestEmailChange answers POST /v1/customers/me/email-change.
func (a *API) requestEmailChange(ctx context.Context, r *Request, b emailChangeBody) (*Response, error) {
	return answer(a.account.RequestEmailChange(ctx, r.SessionToken(), b.NewEmail, b.Password, r.SourceIP), accepted())
}

// emailChangePage answers GET and HEAD of a mailed address-change link: a
// button, and nothing read or written.
func (a *API) emailChangePage(_ context.Context, r *Request) (*Response, error) {
	return a.linkPage(r, emailChangePageFile, false), nil
}

// confirmEmailChange answers POST /v1/email-change.
func (a *API) confirmEmailChange(ctx context.Context, r *Request) (*Response, error) {
	var b struct {
		Token string `json:"token"`
	}
	form, err := r.formOrJSON(&b, func(v url.Values) { b.Token = v.Get("token") })
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(b.Token)
	email, err := a.account.ConfirmEmailChange(ctx, tok, r.SourceIP)
	if !form {
		if err != nil {
			return nil, err
		}
		return jsonResponse(http.StatusOK, map[string]string{"status": "changed", "email": email}), nil
	}
	v := pageView{File: emailChangePageFile, Lang: a.pageLanguage(r), Link: a.loginURL("")}
	if err == nil {
		v.State = stateDone
		return a.renderPage(http.StatusOK, v), nil
	}
	return a.linkFailurePage(ctx, r, v, tok, err), nil
}

// profilePatchBody is the JSON of PATCH /v1/customers/me: what it names
// changes.
type profilePatchBody struct {
	FirstName      *string              `json:"firstName"`
	LastName       *string              `json:"lastName"`
	Gender         *string              `json:"gender"`
	DateOfBirth    *string              `json:"dateOfBirth"`
	Company        *string              `json:"company"`
	StreetAddress  *string              `json:"streetAddress"`
	StreetAddress2 *string              `json:"streetAddress2"`
	ZipPostalCode  *string              `json:"zipPostalCode"`
	City           *string              `json:"city"`
	County         *string              `json:"county"`
	CountryCode    *string              `json:"countryCode"`
	StateProvince  *string              `json:"stateProvince"`
	Phone          *string              `json:"phone"`
	Fax            *string              `json:"fax"`
	TimeZone       *string              `json:"timeZone"`
	VatNumber      *string              `json:"vatNumber"`
	Attributes     map[string]attrValue `json:"attributes,omitempty"`
	Newsletters    *[]string            `json:"newsletters"`
}

func (b profilePatchBody) patch() myaccount.ProfilePatch {
	p := myaccount.ProfilePatch{Fields: map[string]string{}, Newsletters: b.Newsletters}
	for name, v := range map[string]*string{"firstName": b.FirstName, "lastName": b.LastName, "gender": b.Gender,
		"dateOfBirth": b.DateOfBirth, "company": b.Company, "streetAddress": b.StreetAddress,
		"streetAddress2": b.StreetAddress2, "zipPostalCode": b.ZipPostalCode, "city": b.City, "county": b.County,
		"countryCode": b.CountryCode, "stateProvince": b.StateProvince, "phone": b.Phone, "fax": b.Fax,
		"timeZone": b.TimeZone, "vatNumber": b.VatNumber} {
		if v != nil {
			p.Fields[name] = *v
		}
	}
	if b.Attributes != nil {
		p.Attributes = attributesOf(b.Attributes)
	}
	return p
}

// updateProfile answers PATCH /v1/customers/me with the updated profile.
func (a *API) updateProfile(ctx context.Context, r *Request, b profilePatchBody) (*Response, error) {
	c, err := a.account.UpdateProfile(ctx, r.SessionToken(), b.patch(), r.SourceIP)
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, profileOf(c)), nil
}

// exportBody is GET /v1/customers/me/export.
type exportBody struct {
	ExportedAt string `json:"exportedAt"`
	Customer   meBody `json:"customer"`
	// Addresses and subscriptions are the account's own records; the
	// profile's address fields are the registration's address.
	Addresses               []addressBody      `json:"addresses"`
	NewsletterSubscriptions []subscriptionBody `json:"newsletterSubscriptions"`
	Consents                []consentBody      `json:"consents"`
	Activity                []activityBody     `json:"activity"`
	Sessions                []sessionInfoBody  `json:"sessions"`
}

// subscriptionBody is a newsletter subscription record of the address.
type subscriptionBody struct {
	ID          string `json:"id"`
	Newsletter  string `json:"newsletter"`
	StoreID     string `json:"storeId"`
	Email       string `json:"email"`
	Active      bool   `json:"active"`
	CreatedAt   string `json:"createdAt"`
	ActivatedAt string `json:"activatedAt,omitempty"`
}

type consentBody struct {
	ConsentID string `json:"consentId"`
	Agreed    bool   `json:"agreed"`
	Message   string `json:"message"`
	At        string `json:"at"`
}

type activityBody struct {
	Type   customer.ActivityType `json:"type"`
	At     string                `json:"at"`
	Detail map[string]string     `json:"detail"`
}

// consentsOf is the consent log's entries, [] for none.
func consentsOf(log []customer.ConsentRecord) []consentBody {
	out := []consentBody{}
	for _, c := range log {
		out = append(out, consentBody{ConsentID: c.ConsentID, Agreed: c.Agreed, Message: c.Message, At: rfc3339(c.At)})
	}
	return out
}

// activitiesOf is the activity entries, [] for none; an entry without
// detail has {}.
func activitiesOf(entries []customer.Activity) []activityBody {
	out := []activityBody{}
	for _, e := range entries {
		d := e.Detail
		if d == nil {
			d = map[string]string{}
		}
		out = append(out, activityBody{Type: e.Type, At: rfc3339(e.At), Detail: d})
	}
	return out
}

type sessionInfoBody struct {
	CreatedAt  string `json:"createdAt"`
	ExpiresAt  string `json:"expiresAt"`
	RememberMe bool   `json:"rememberMe"`
	// ImpersonatedBy names the administrator of a session that acts as
	// the customer.
	ImpersonatedBy string `json:"impersonatedBy,omitempty"`
}

// export answers GET /v1/customers/me/export: everything stored about the
// customer, as one JSON document.
func (a *API) export(ctx context.Context, r *Request) (*Response, error) {
	x, err := a.account.Export(ctx, r.SessionToken())
	if err != nil {
		return nil, err
	}
	b := exportBody{ExportedAt: rfc3339(x.ExportedAt), Customer: profileOf(x.Customer), Addresses: addressesOf(x.Customer),
		NewsletterSubscriptions: []subscriptionBody{}, Consents: consentsOf(x.Consents), Activity: activitiesOf(x.Activity),
		Sessions: []sessionInfoBody{}}
	for _, s := range x.Subscriptions {
		sb := subscriptionBody{ID: s.ID, Newsletter: s.Type, StoreID: s.StoreID, Email: s.Email, Active: s.Active,
			CreatedAt: rfc3339(s.CreatedAt)}
		if !s.ActivatedAt.IsZero() {
			sb.ActivatedAt = rfc3339(s.ActivatedAt)
		}
		b.NewsletterSubscriptions = append(b.NewsletterSubscriptions, sb)
	}
	for _, s := range x.Sessions {
		b.Sessions = append(b.Sessions, sessionInfoBody{CreatedAt: rfc3339(s.CreatedAt), ExpiresAt: rfc3339(s.ExpiresAt), RememberMe: s.RememberMe,
			ImpersonatedBy: s.ImpersonatedBy})
	}
	resp := jsonResponse(http.StatusOK, b)
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}

// deviceBody is one of the customer's sessions (GET /v1/customers/me/sessions).
type deviceBody struct {
	ID         string `json:"id"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt"`
	UserAgent  string `json:"userAgent"`
	Address    string `json:"address"`
	Current    bool   `json:"current"`
}

// listSessions answers GET /v1/customers/me/sessions: the customer's live
// sessions, the current one first.
func (a *API) listSessions(ctx context.Context, r *Request) (*Response, error) {
	devices, err := a.account.Devices(ctx, r.SessionToken())
	if err != nil {
		return nil, err
	}
	out := struct {
		Sessions []deviceBody `json:"sessions"`
	}{Sessions: []deviceBody{}}
	for _, d := range devices {
		out.Sessions = append(out.Sessions, deviceBody{ID: d.ID, CreatedAt: rfc3339(d.CreatedAt), LastUsedAt: rfc3339(d.LastUsedAt),
			UserAgent: d.UserAgent, Address: d.Address, Current: d.Current})
	}
	resp := jsonResponse(http.StatusOK, out)
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}

// endSession answers DELETE /v1/customers/me/sessions/{id}: ends one of the
// customer's sessions (the current one too, which then clears its cookie).
func (a *API) endSession(ctx context.Context, r *Request) (*Response, error) {
	resp := emptyResponse(http.StatusNoContent)
	if id := r.PathParams["id"]; id != "" && session.IDOf(sessionDigest(r.SessionToken())) == id {
		resp = a.signedOut(resp)
	}
	return answer(a.account.EndDevice(ctx, r.SessionToken(), r.PathParams["id"], r.SourceIP), resp)
}

// sessionDigest is the digest of a session token's secret ("" for none).
func sessionDigest(token string) string {
	ref, _ := session.Parse(token)
	return ref.Digest
}

type passwordBody struct {
	Password string `json:"password"`
}

// erase answers DELETE /v1/customers/me.
func (a *API) erase(ctx context.Context, r *Request, b passwordBody) (*Response, error) {
	return answer(a.account.Erase(ctx, r.SessionToken(), b.Password, r.SourceIP), a.signedOut(accepted()))
}
