package registration_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha/providertest"
	"github.com/openreg/registration/internal/settings"
)

func TestCaptcha(t *testing.T) {
	withCaptcha := func(srv *providertest.Server, on settings.CaptchaOn) func(*settings.Settings) {
		return func(s *settings.Settings) { s.Captcha = srv.Settings(t, on) }
	}
	fieldCodes := func(err error) []string {
		var out []string
		if e, ok := err.(*apperr.Error); ok {
			for _, f := range e.Fields {
				out = append(out, f.Field+":"+f.Code)
			}
		}
		return out
	}
	cases := []struct {
		name, token string
		// invalid makes the rest of the form invalid too.
		invalid   bool
		wantErr   apperr.Code
		wantField string
		wantSent  int
	}{
		{name: "a solved CAPTCHA registers", token: "pass@register", wantSent: 1},
		{name: "no token is a field error, and the provider is not asked", token: "", wantErr: apperr.Validation,
			wantField: "captchaToken:captcha_required"},
		{name: "a missing token is listed with the form's other problems", token: "", invalid: true,
			wantErr: apperr.Validation, wantField: "captchaToken:captcha_required"},
		{name: "a token with an invalid form is not spent on the provider", token: "pass@register", invalid: true,
			wantErr: apperr.Validation},
		{name: "a refused token is a field error", token: "fail", wantErr: apperr.Validation,
			wantField: "captchaToken:captcha_failed", wantSent: 1},
		{name: "a token solved on another site is refused", token: "other-host@register", wantErr: apperr.Validation,
			wantField: "captchaToken:captcha_failed", wantSent: 1},
		{name: "a provider slower than the timeout is a 503, never a pass", token: "slow", wantErr: apperr.Unavailable, wantSent: 1},
	}
	for _, provider := range settings.CaptchaProviders {
		for _, c := range cases {
			t.Run(provider+": "+c.name, func(t *testing.T) {
				srv := providertest.Start(t, provider, "s3cret", "site-key")
				f := newFixture(t, withCaptcha(srv, settings.CaptchaOn{Registration: true}))
				req := validRequest()
				req.CaptchaToken = c.token
				if c.invalid {
					req.Email = "not an address"
				}
				_, err := f.svc.Register(context.Background(), req)
				if c.wantErr == "" {
					if err != nil {
						t.Fatalf("Register: %v", err)
					}
				} else {
					wantCode(t, err, c.wantErr)
					f.nothingStored(t)
					if f.hashed() {
						t.Error("a password was hashed before the CAPTCHA passed")
					}
				}
				if c.wantField != "" && !slices.Contains(fieldCodes(err), c.wantField) {
					t.Errorf("field problems %v, want %s among them", fieldCodes(err), c.wantField)
				}
				if c.invalid && !slices.ContainsFunc(fieldCodes(err), func(s string) bool { return strings.HasPrefix(s, "email:") }) {
					t.Errorf("field problems %v, want the email's among them", fieldCodes(err))
				}
				if n := len(srv.Received()); n != c.wantSent {
					t.Errorf("the provider was asked %d times, want %d", n, c.wantSent)
				}
				for _, r := range srv.Received() {
					if r.RemoteIP != "192.0.2.7" {
						t.Errorf("remoteip %q, want the customer's address", r.RemoteIP)
					}
				}
			})
		}
	}
	t.Run("a store that asks elsewhere registers without a token", func(t *testing.T) {
		srv := providertest.Start(t, settings.Turnstile, "s3cret", "site-key")
		f := newFixture(t, withCaptcha(srv, settings.CaptchaOn{SignIn: true}))
		f.register(t, validRequest())
		if n := len(srv.Received()); n != 0 {
			t.Errorf("the provider was asked %d times", n)
		}
	})
}
