package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/signin"
)

type signInBody struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	// Code is a mailed sign-in code, in place of the password.
	Code       string `json:"code"`
	RememberMe bool   `json:"rememberMe"`
	ReturnURL  string `json:"returnUrl"`
	// CaptchaToken is asked for once the login is under attack.
	CaptchaToken string `json:"captchaToken"`
}

type sessionBody struct {
	CustomerID   string `json:"customerId"`
	Redirect     string `json:"redirect"`
	SessionToken string `json:"sessionToken,omitempty"`
	ExpiresAt    string `json:"expiresAt"`
	// DeviceToken is a new device token, for callers that get the session
	// token in the body too (they send it back as X-Device-Token).
	DeviceToken string `json:"deviceToken,omitempty"`
}

// DeviceHeader carries a device token from callers that are not browsers.
const DeviceHeader = "x-device-token"

// deviceToken is the device token the request carries: the header, else
// the cookie. Anything malformed is no token (signin verifies it).
func (r *Request) deviceToken() string {
	if t := r.Headers[DeviceHeader]; t != "" {
		return t
	}
	return r.Cookies[DeviceCookie]
}

func (a *API) createSession(ctx context.Context, r *Request, b signInBody) (*Response, error) {
	storeID, err := r.storeID()
	if err != nil {
		return nil, err
	}
	res, err := a.signIn.SignIn(ctx, signin.Request{
		Login: b.Login, Password: b.Password, Code: b.Code, StoreID: storeID, RememberMe: b.RememberMe, ReturnURL: b.ReturnURL, SourceIP: r.SourceIP, UserAgent: r.Headers["user-agent"],
		GuestID: r.GuestID(), CaptchaToken: b.CaptchaToken, DeviceToken: r.deviceToken(),
	})
	if err != nil {
		return nil, err
	}
	return a.sessionAnswer(r, res, b.RememberMe), nil
}

// sessionAnswer is the answer to a sign-in (password, code or passkey):
// the session cookie, the token in the body for callers that want it, and
// a new device's token.
func (a *API) sessionAnswer(r *Request, res signin.Result, rememberMe bool) *Response {
	body := sessionBody{CustomerID: res.CustomerID, Redirect: res.Redirect, ExpiresAt: rfc3339(res.Session.ExpiresAt)}
	if r.WantsToken() {
		body.SessionToken = res.Session.Token
		if res.Device != nil {
			body.DeviceToken = res.Device.Token
		}
	}
	resp := a.signedIn(jsonResponse(http.StatusOK, body), &res.Session, rememberMe, res.HandedOver)
	if res.Device != nil {
		resp.Cookies = append(resp.Cookies, a.deviceCookie(res.Device.Token, res.Device.ExpiresAt))
	}
	return resp
}

func (a *API) deleteSession(ctx context.Context, r *Request) (*Response, error) {
	if tok := r.SessionToken(); tok != "" {
		storeID, _ := r.storeID() // a malformed one: the default store
		if err := a.signIn.SignOut(ctx, tok, storeID); err != nil {
			return nil, err
		}
	}
	return a.signedOut(emptyResponse(http.StatusNoContent)), nil
}

// meBody is the profile of GET /v1/customers/me.
type meBody struct {
	CustomerID    string          `json:"customerId"`
	Email         string          `json:"email"`
	Username      string          `json:"username,omitempty"`
	Status        customer.Status `json:"status"`
	EmailVerified bool            `json:"emailVerified"`
	// EmailStatus is deliverable, or bounced or complained once mail to
	// the address stopped: the storefront asks for a new address.
	EmailStatus string            `json:"emailStatus"`
	StoreID     string            `json:"storeId"`
	Language    string            `json:"language"`
	Profile     customer.Profile  `json:"profile"`
	Attributes  map[string]string `json:"attributes"`
	Newsletters []string          `json:"newsletters"`
	// BillingAddressID and ShippingAddressID name the default addresses
	// (the export lists them).
	BillingAddressID  string `json:"billingAddressId,omitempty"`
	ShippingAddressID string `json:"shippingAddressId,omitempty"`
	// Vat is what VIES said of the VAT number, where the store checks
	// EU VAT numbers.
	Vat       *vatBody `json:"vat,omitempty"`
	CreatedAt string   `json:"createdAt"`
}

// emailStatusOf is the API's name of c's EmailStatus.
func emailStatusOf(c customer.Customer) string {
	if c.EmailStatus == "" {
		return string(customer.EmailDeliverable)
	}
	return string(c.EmailStatus)
}

// vatBody is the check of the customer's VAT number.
type vatBody struct {
	Number    string `json:"number"`
	Status    string `json:"status"`
	Name      string `json:"name,omitempty"`
	Address   string `json:"address,omitempty"`
	CheckedAt string `json:"checkedAt,omitempty"`
}

// addressBody is one of the customer's addresses.
type addressBody struct {
	customer.Address
	CreatedAt string `json:"createdAt"`
}

func addressesOf(c customer.Customer) []addressBody {
	out := []addressBody{}
	for _, a := range c.Addresses {
		out = append(out, addressBody{Address: a, CreatedAt: rfc3339(a.CreatedAt)})
	}
	return out
}

func (a *API) me(ctx context.Context, r *Request) (*Response, error) {
	c, err := a.signIn.Me(ctx, r.SessionToken())
	if err != nil {
		return nil, err
	}
	return jsonResponse(http.StatusOK, profileOf(c)), nil
}

// profileOf is the profile document of c.
func profileOf(c customer.Customer) meBody {
	b := meBody{
		CustomerID: c.ID, Email: c.Email, Username: c.Username, Status: c.Status,
		EmailVerified: !c.EmailVerifiedAt.IsZero(), EmailStatus: emailStatusOf(c), StoreID: c.StoreID, Language: c.Language,
		Profile: c.Profile, Attributes: c.Attributes, Newsletters: c.Newsletters, CreatedAt: rfc3339(c.CreatedAt),
		BillingAddressID: c.BillingAddressID, ShippingAddressID: c.ShippingAddressID,
	}
	if v := c.Vat; v != nil {
		b.Vat = &vatBody{Number: v.Number, Status: string(v.Status), Name: v.Name, Address: v.Address}
		if !v.CheckedAt.IsZero() {
			b.Vat.CheckedAt = rfc3339(v.CheckedAt)
		}
	}
	if b.Attributes == nil {
		b.Attributes = map[string]string{}
	}
	if b.Newsletters == nil {
		b.Newsletters = []string{}
	}
	return b
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type signInCodeBody struct {
	Email string `json:"email"`
}

// requestSignInCode answers POST /v1/sign-in-codes: 202 for any address
// (an active account's gets a code, at most one per resend interval).
func (a *API) requestSignInCode(ctx context.Context, r *Request, b signInCodeBody) (*Response, error) {
	return answer(a.signIn.RequestCode(ctx, b.Email, r.Languages(), r.SourceIP), accepted())
}
