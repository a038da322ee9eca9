package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/registration"
)

// registerBody is the JSON of POST /v1/customers.
type registerBody struct {
	Email               string               `json:"email"`
	Username            string               `json:"username"`
	Password            string               `json:"password"`
	FirstName           string               `json:"firstName"`
	LastName            string               `json:"lastName"`
	Gender              string               `json:"gender"`
	DateOfBirth         string               `json:"dateOfBirth"`
	Company             string               `json:"company"`
	StreetAddress       string               `json:"streetAddress"`
	StreetAddress2      string               `json:"streetAddress2"`
	ZipPostalCode       string               `json:"zipPostalCode"`
	City                string               `json:"city"`
	County              string               `json:"county"`
	CountryCode         string               `json:"countryCode"`
	StateProvince       string               `json:"stateProvince"`
	Phone               string               `json:"phone"`
	Fax                 string               `json:"fax"`
	TimeZone            string               `json:"timeZone"`
	VatNumber           string               `json:"vatNumber"`
	Attributes          map[string]attrValue `json:"attributes,omitempty"`
	Consents            map[string]bool      `json:"consents,omitempty"`
	AcceptPrivacyPolicy *bool                `json:"acceptPrivacyPolicy"`
	Newsletters         []string             `json:"newsletters,omitempty"`
	CaptchaToken        string               `json:"captchaToken"`
	ReturnURL           string               `json:"returnUrl"`
}

// attrValue is a custom attribute value: a string, or a boolean for
// checkboxes.
type attrValue string

func (v *attrValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = attrValue(s)
		return nil
	}
	var t bool
	if err := json.Unmarshal(b, &t); err == nil {
		if t {
			*v = "true"
		} else {
			*v = "false"
		}
		return nil
	}
	return &fieldError{field: "attributes", msg: "Attribute values must be strings or booleans."}
}

// attributesOf is the custom attribute values of a body, as strings (a
// map, empty for none).
func attributesOf(attrs map[string]attrValue) map[string]string {
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		out[k] = string(v)
	}
	return out
}

var storeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

type registeredBody struct {
	CustomerID   string `json:"customerId,omitempty"`
	Status       string `json:"status"`
	Next         string `json:"next"`
	Redirect     string `json:"redirect,omitempty"`
	SessionToken string `json:"sessionToken,omitempty"`
	ExpiresAt    string `json:"expiresAt,omitempty"`
	// RegistrationID (the 202 answers) names the registration for
	// GET /v1/registrations/{id}.
	RegistrationID string `json:"registrationId,omitempty"`
}

func (a *API) registerCustomer(ctx context.Context, r *Request, b registerBody) (*Response, error) {
	storeID, err := r.storeID()
	if err != nil {
		return nil, err
	}
	res, err := a.register.Register(ctx, registration.Request{
		Email: b.Email, Username: b.Username, Password: b.Password,
		Profile: customer.Profile{
			FirstName: b.FirstName, LastName: b.LastName, Gender: b.Gender, DateOfBirth: b.DateOfBirth,
			Company: b.Company, StreetAddress: b.StreetAddress, StreetAddress2: b.StreetAddress2,
			ZipPostalCode: b.ZipPostalCode, City: b.City, County: b.County, CountryCode: b.CountryCode,
			StateProvince: b.StateProvince, Phone: b.Phone, Fax: b.Fax, TimeZone: b.TimeZone, VatNumber: b.VatNumber,
		},
		Attributes: attributesOf(b.Attributes), Consents: b.Consents, AcceptPrivacyPolicy: b.AcceptPrivacyPolicy,
		Newsletters: b.Newsletters, ReturnURL: b.ReturnURL, CaptchaToken: b.CaptchaToken, Language: r.Languages(), StoreID: storeID, GuestID: r.GuestID(),
		SessionToken: r.SessionToken(), SourceIP: r.SourceIP, UserAgent: r.Headers["user-agent"],
	})
	if err != nil {
		return nil, err
	}
	var resp *Response
	switch res.Outcome {
	case registration.SignedIn:
		body := registeredBody{
			CustomerID: res.CustomerID, Status: string(customer.Active), Next: string(res.Outcome),
			Redirect: res.Redirect, ExpiresAt: rfc3339(res.Session.ExpiresAt),
		}
		if r.WantsToken() {
			body.SessionToken = res.Session.Token
		}
		resp = jsonResponse(http.StatusCreated, body)
		resp.Headers["Location"] = "/v1/customers/me"
		return a.signedIn(resp, res.Session, false, res.HandedOver), nil
	case registration.PendingApproval:
		resp = jsonResponse(http.StatusAccepted, registeredBody{Status: string(res.Outcome), Next: "await_approval", RegistrationID: res.RegistrationID})
	default:
		resp = jsonResponse(http.StatusAccepted, registeredBody{Status: string(res.Outcome), Next: "verify_email", RegistrationID: res.RegistrationID})
	}
	if res.SignedOut {
		a.signedOut(resp)
	}
	return resp, nil
}

// registrationMail answers GET /v1/registrations/{id}: what became of the
// registration's mail, for 24 hours. The id is the capability: it is random,
// and only the storefront that registered has it.
func (a *API) registrationMail(ctx context.Context, r *Request) (*Response, error) {
	st, err := a.register.MailStatus(ctx, r.PathParams["id"])
	if err != nil {
		return nil, err
	}
	resp := jsonResponse(http.StatusOK, map[string]string{"mail": string(st)})
	resp.Headers["Cache-Control"] = "no-store"
	return resp, nil
}
