package httpapi

import (
	"context"
	"net/http"

	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/profile"
	"github.com/openreg/registration/internal/settings"
)

type formField struct {
	Name     string   `json:"name"`
	Enabled  bool     `json:"enabled"`
	Required bool     `json:"required"`
	Values   []string `json:"values,omitempty"`
}

type formBody struct {
	RegistrationType    settings.RegistrationType `json:"registrationType"`
	UsernamesEnabled    bool                      `json:"usernamesEnabled"`
	Fields              []formField               `json:"fields"`
	PasswordPolicy      password.Policy           `json:"passwordPolicy"`
	AcceptPrivacyPolicy bool                      `json:"acceptPrivacyPolicy"`
	Consents            []settings.Consent        `json:"consents"`
	Newsletters         []settings.NewsletterType `json:"newsletters"`
	Attributes          []settings.Attribute      `json:"attributes"`
	// AddressFields make a complete (default) address; EUVat says
	// vatNumber is checked as an EU VAT number.
	AddressFields []string      `json:"addressFields"`
	EUVat         bool          `json:"euVat"`
	Captcha       *captcha.Form `json:"captcha"`
	Languages     []string      `json:"languages"`
	// EmailChecks says what registration refuses beyond an address's
	// syntax.
	EmailChecks formEmailChecks `json:"emailChecks"`
}

// formEmailChecks is what the form tells of settings emailChecks: the
// refusals, not how DNS is asked.
type formEmailChecks struct {
	Disposable string `json:"disposable"`
	RequireMX  bool   `json:"requireMx"`
}

// registrationForm describes what the storefront must render, straight from
// the settings document.
func (a *API) registrationForm(_ context.Context, _ *Request) (*Response, error) {
	s := a.settings
	b := formBody{
		RegistrationType: s.RegistrationType, UsernamesEnabled: s.UsernamesEnabled,
		PasswordPolicy: s.PasswordPolicy, AcceptPrivacyPolicy: s.AcceptPrivacyPolicy,
		Consents: s.Consents, Newsletters: s.Newsletters, Attributes: s.Attributes,
		Captcha: a.captcha, Languages: s.Languages, AddressFields: s.AddressFields, EUVat: s.Vat.EUVat,
		EmailChecks: formEmailChecks{Disposable: s.EmailChecks.Disposable, RequireMX: s.EmailChecks.RequireMX},
	}
	if b.AddressFields == nil {
		b.AddressFields = []string{}
	}
	for _, name := range settings.ProfileFields {
		f := s.Field(name)
		ff := formField{Name: name, Enabled: f.Enabled, Required: f.Required}
		if name == settings.Gender {
			ff.Values = profile.Genders
		}
		b.Fields = append(b.Fields, ff)
	}
	if b.Consents == nil {
		b.Consents = []settings.Consent{}
	}
	if b.Newsletters == nil {
		b.Newsletters = []settings.NewsletterType{}
	}
	if b.Attributes == nil {
		b.Attributes = []settings.Attribute{}
	}
	resp := jsonResponse(http.StatusOK, b)
	// The form changes only with a deploy; a short shared cache is safe.
	resp.Headers["Cache-Control"] = "public, max-age=300"
	return resp, nil
}
