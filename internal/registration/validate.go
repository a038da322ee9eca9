package registration

import (
	"context"
	"maps"
	"slices"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/profile"
)

// validate checks a request against the settings and returns the cleaned
// values, or a validation error listing every problem at once.
func (s *Service) validate(ctx context.Context, req Request) (clean, error) {
	var f apperr.Fields
	cfg := s.settings
	now := s.now()
	c := clean{}

	c.email = customer.CheckEmail(&f, "email", req.Email)

	username := customer.Canonical(req.Username)
	switch {
	case cfg.UsernamesEnabled:
		if code, msg := customer.UsernameProblem(username); code != "" {
			f.Add("username", code, msg)
		}
		c.username = username
	case username != "":
		f.Add("username", "not_enabled", "This store does not use usernames.")
	}

	if req.Password == "" {
		f.Add("password", "required", "Password is required.")
	} else {
		cfg.PasswordPolicy.With(s.breached).Add(ctx, &f, "password", req.Password)
	}

	c.profile, c.attributes = profile.CheckFields(cfg, now, &f, req.Profile, req.Attributes)
	shown := map[string]bool{}
	for _, consent := range cfg.Consents {
		shown[consent.ID] = true
		agreed := req.Consents[consent.ID]
		if consent.Required && !agreed {
			f.Add("consents."+consent.ID, "consent_required", "This consent is required to register.")
		}
		c.consents = append(c.consents, consentAnswer{consent: consent, agreed: agreed})
	}
	for _, id := range slices.Sorted(maps.Keys(req.Consents)) {
		if !shown[id] {
			f.Add("consents."+id, "unknown_consent", "This store shows no such consent.")
		}
	}
	if cfg.AcceptPrivacyPolicy {
		if req.AcceptPrivacyPolicy == nil || !*req.AcceptPrivacyPolicy {
			f.Add("acceptPrivacyPolicy", "consent_required", "The privacy policy must be accepted.")
		}
		c.privacyAccepted = true
	}

	c.newsletters = profile.CheckNewsletters(cfg, &f, req.Newsletters)
	captcha.CheckToken(&f, s.captcha.Required(captcha.Register), req.CaptchaToken)

	if err := f.Err(); err != nil {
		return clean{}, err
	}
	return c, nil
}
