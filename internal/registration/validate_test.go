package registration_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/settings"
)

// richSettings turns on everything validation knows about: country and time
// zone fields, consents, newsletters, custom attributes and the privacy
// policy box. Phone stays disabled.
func richSettings(s *settings.Settings) {
	s.Fields[settings.CountryCode] = settings.Field{Enabled: true}
	s.Fields[settings.TimeZone] = settings.Field{Enabled: true}
	s.Fields[settings.VatNumber] = settings.Field{Enabled: true}
	s.Consents = []settings.Consent{
		{ID: "terms", Message: "I accept the terms of sale.", Required: true},
		{ID: "offers", Message: "Send me personal offers."},
	}
	s.Newsletters = []settings.NewsletterType{{ID: "general", Name: "Newsletter"}, {ID: "deals", Name: "Deals"}}
	s.Attributes = []settings.Attribute{
		{ID: "size", Name: "Size", Type: settings.AttributeDropdown, Values: []string{"S", "M", "L"}},
		{ID: "vip", Name: "VIP programme", Type: settings.AttributeCheckbox, Required: true},
		{ID: "nickname", Name: "Nickname", Type: settings.AttributeText},
	}
	s.AcceptPrivacyPolicy = true
}

// richRequest passes richSettings.
func richRequest() registration.Request {
	r := validRequest()
	r.Attributes = map[string]string{"vip": "true"}
	r.Consents = map[string]bool{"terms": true}
	r.AcceptPrivacyPolicy = ptr(true)
	return r
}

// longEmail returns a valid-looking address of n characters (n > 193).
func longEmail(n int) string {
	domain := strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com"
	return strings.Repeat("a", n-1-len(domain)) + "@" + domain
}

// problem is a field problem without its human message.
type problem struct{ field, code string }

func problems(t *testing.T, err error) []problem {
	t.Helper()
	e := wantCode(t, err, apperr.Validation)
	var ps []problem
	for _, f := range e.Fields {
		if f.Message == "" {
			t.Errorf("got problem %s/%s without a message", f.Field, f.Code)
		}
		ps = append(ps, problem{f.Field, f.Code})
	}
	return sortProblems(ps)
}

func sortProblems(ps []problem) []problem {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, func(a, b problem) int {
		return cmp.Or(strings.Compare(a.field, b.field), strings.Compare(a.code, b.code))
	})
	return ps
}

func TestValidationReportsEveryProblemAtOnce(t *testing.T) {
	f := newFixture(t, richSettings)
	session := f.startSession(t)
	req := registration.Request{
		Email:    "not-an-email",
		Username: "ada",
		Password: "abc",
		Profile: customer.Profile{
			FirstName:   "",
			LastName:    "Love\x00lace",
			Company:     strings.Repeat("c", 201),
			DateOfBirth: "1990-13-01",
			Gender:      "Q",
			CountryCode: "de",
			TimeZone:    "Mars/Olympus",
			Phone:       "+49 30 123456",
		},
		Attributes:   map[string]string{"shoe": "42", "size": "XXL", "vip": "false"},
		Consents:     map[string]bool{"bogus": true},
		Newsletters:  []string{"general", "weekly", "general"},
		SessionToken: session,
	}
	_, err := f.svc.Register(ctx, req)
	got := problems(t, err)
	want := sortProblems([]problem{
		{"email", "invalid_email"},
		{"username", "not_enabled"},
		{"password", "too_short"},
		{"firstName", "required"},
		{"lastName", "control_character"},
		{"company", "too_long"},
		{"dateOfBirth", "invalid_date"},
		{"gender", "invalid_value"},
		{"countryCode", "invalid_country"},
		{"timeZone", "invalid_time_zone"},
		{"phone", "not_enabled"},
		{"attributes.shoe", "unknown_attribute"},
		{"attributes.size", "invalid_value"},
		{"attributes.vip", "required"},
		{"consents.terms", "consent_required"},
		{"consents.bogus", "unknown_consent"},
		{"acceptPrivacyPolicy", "consent_required"},
		{"newsletters[1]", "unknown_newsletter"},
		{"newsletters[2]", "duplicate"},
	})
	if !slices.Equal(got, want) {
		t.Errorf("got problems\n%v\nwant\n%v", got, want)
	}

	t.Run("a refused registration stores nothing", func(t *testing.T) {
		f.nothingStored(t)
		if f.store.createCalls != 0 {
			t.Errorf("got %d CreateAccount calls, want none", f.store.createCalls)
		}
	})
	t.Run("a refused registration keeps the request's session", func(t *testing.T) {
		if !f.sessionLive(session) {
			t.Error("got the session revoked, want it kept")
		}
	})
}

func TestValidationRules(t *testing.T) {
	withUsernames := func(s *settings.Settings) { s.UsernamesEnabled = true }
	type req = registration.Request
	tests := []struct {
		name   string
		opts   []func(*settings.Settings)
		change func(r *req)
		want   []problem // nil: the request is valid
	}{
		{"the rich request is valid", nil, func(*req) {}, nil},

		{"a missing email is required", nil, func(r *req) { r.Email = "  " }, []problem{{"email", "required"}}},
		{"an email without domain is invalid", nil, func(r *req) { r.Email = "ada@" }, []problem{{"email", "invalid_email"}}},
		{"an email with a line break is invalid", nil, func(r *req) { r.Email = "ada\n@example.com" }, []problem{{"email", "invalid_email"}}},
		{"an email of 254 characters is valid", nil, func(r *req) { r.Email = longEmail(254) }, nil},
		{"an email of 255 characters is too long", nil, func(r *req) { r.Email = longEmail(255) }, []problem{{"email", "too_long"}}},

		{"a missing password is required", nil, func(r *req) { r.Password = "" }, []problem{{"password", "required"}}},
		{"a password below the minimum length is too short", nil, func(r *req) { r.Password = "12345" }, []problem{{"password", "too_short"}}},
		{"a password of the minimum length counted in characters is valid", nil, func(r *req) { r.Password = "äöüßéè" }, nil},
		{"a password above the maximum length is too long", nil, func(r *req) { r.Password = strings.Repeat("p", 65) }, []problem{{"password", "too_long"}}},

		{"a missing required first name is required", nil, func(r *req) { r.Profile.FirstName = "" }, []problem{{"firstName", "required"}}},
		{"a first name of spaces is required", nil, func(r *req) { r.Profile.FirstName = "   " }, []problem{{"firstName", "required"}}},
		{"a last name with a NUL is refused", nil, func(r *req) { r.Profile.LastName = "Love\x00lace" }, []problem{{"lastName", "control_character"}}},
		{"a last name with a line break inside is refused", nil, func(r *req) { r.Profile.LastName = "Love\nlace" }, []problem{{"lastName", "control_character"}}},
		{"a last name with a line separator is refused", nil, func(r *req) { r.Profile.LastName = "Love\u2028lace" }, []problem{{"lastName", "control_character"}}},
		{"a company of 200 characters is valid", nil, func(r *req) { r.Profile.Company = strings.Repeat("ä", 200) }, nil},
		{"a company of 201 characters is too long", nil, func(r *req) { r.Profile.Company = strings.Repeat("ä", 201) }, []problem{{"company", "too_long"}}},

		{"a date of birth in another format is invalid", nil, func(r *req) { r.Profile.DateOfBirth = "31.12.1990" }, []problem{{"dateOfBirth", "invalid_date"}}},
		{"an impossible date of birth is invalid", nil, func(r *req) { r.Profile.DateOfBirth = "1990-02-30" }, []problem{{"dateOfBirth", "invalid_date"}}},
		{"a date of birth tomorrow is out of range", nil, func(r *req) { r.Profile.DateOfBirth = "2030-03-15" }, []problem{{"dateOfBirth", "out_of_range"}}},
		{"a date of birth before 1900 is out of range", nil, func(r *req) { r.Profile.DateOfBirth = "1899-12-31" }, []problem{{"dateOfBirth", "out_of_range"}}},
		{"a date of birth today is valid", nil, func(r *req) { r.Profile.DateOfBirth = "2030-03-14" }, nil},

		{"a gender outside M, F, X is invalid", nil, func(r *req) { r.Profile.Gender = "Q" }, []problem{{"gender", "invalid_value"}}},
		{"gender X is valid", nil, func(r *req) { r.Profile.Gender = "X" }, nil},

		{"a lower-case country code is invalid", nil, func(r *req) { r.Profile.CountryCode = "de" }, []problem{{"countryCode", "invalid_country"}}},
		{"a three-letter country code is too long", nil, func(r *req) { r.Profile.CountryCode = "DEU" }, []problem{{"countryCode", "too_long"}}},
		{"an ISO country code is valid", nil, func(r *req) { r.Profile.CountryCode = "DE" }, nil},
		{"a country code is refused when the store does not collect it", []func(*settings.Settings){func(s *settings.Settings) { delete(s.Fields, settings.CountryCode) }},
			func(r *req) { r.Profile.CountryCode = "DE" }, []problem{{"countryCode", "not_enabled"}}},

		{"an unknown time zone is invalid", nil, func(r *req) { r.Profile.TimeZone = "Mars/Olympus" }, []problem{{"timeZone", "invalid_time_zone"}}},
		{"the time zone Local is invalid", nil, func(r *req) { r.Profile.TimeZone = "Local" }, []problem{{"timeZone", "invalid_time_zone"}}},
		{"an IANA time zone is valid", nil, func(r *req) { r.Profile.TimeZone = "Europe/Berlin" }, nil},

		{"a VAT number without country prefix is invalid", nil, func(r *req) { r.Profile.VatNumber = "123456789" }, []problem{{"vatNumber", "invalid_vat_number"}}},
		{"a VAT number with country prefix is valid", nil, func(r *req) { r.Profile.VatNumber = "DE123456789" }, nil},

		{"a phone number is refused when the store does not collect it", nil, func(r *req) { r.Profile.Phone = "+49 30 1234" }, []problem{{"phone", "not_enabled"}}},
		{"an empty disabled field is fine", nil, func(r *req) { r.Profile.Phone = "  " }, nil},

		{"an unknown attribute is refused", nil, func(r *req) { r.Attributes["shoe"] = "42" }, []problem{{"attributes.shoe", "unknown_attribute"}}},
		{"a dropdown value not offered is refused", nil, func(r *req) { r.Attributes["size"] = "XXL" }, []problem{{"attributes.size", "invalid_value"}}},
		{"a dropdown value offered is valid", nil, func(r *req) { r.Attributes["size"] = "M" }, nil},
		{"a required checkbox left false is required", nil, func(r *req) { r.Attributes["vip"] = "false" }, []problem{{"attributes.vip", "required"}}},
		{"a required checkbox left out is required", nil, func(r *req) { delete(r.Attributes, "vip") }, []problem{{"attributes.vip", "required"}}},
		{"a checkbox that is neither true nor false is invalid", nil, func(r *req) { r.Attributes["vip"] = "yes" }, []problem{{"attributes.vip", "invalid_value"}}},
		{"a text attribute of 501 characters is too long", nil, func(r *req) { r.Attributes["nickname"] = strings.Repeat("n", 501) }, []problem{{"attributes.nickname", "too_long"}}},
		{"a text attribute with a control character is refused", nil, func(r *req) { r.Attributes["nickname"] = "a\tb" }, []problem{{"attributes.nickname", "control_character"}}},

		{"a required consent left out is required", nil, func(r *req) { delete(r.Consents, "terms") }, []problem{{"consents.terms", "consent_required"}}},
		{"a required consent refused is required", nil, func(r *req) { r.Consents["terms"] = false }, []problem{{"consents.terms", "consent_required"}}},
		{"an unknown consent is refused", nil, func(r *req) { r.Consents["bogus"] = true }, []problem{{"consents.bogus", "unknown_consent"}}},
		{"an unknown consent refused is still refused", nil, func(r *req) { r.Consents["bogus"] = false }, []problem{{"consents.bogus", "unknown_consent"}}},

		{"a missing privacy policy answer is required", nil, func(r *req) { r.AcceptPrivacyPolicy = nil }, []problem{{"acceptPrivacyPolicy", "consent_required"}}},
		{"a refused privacy policy is required", nil, func(r *req) { r.AcceptPrivacyPolicy = ptr(false) }, []problem{{"acceptPrivacyPolicy", "consent_required"}}},

		{"an unknown newsletter is refused", nil, func(r *req) { r.Newsletters = []string{"weekly"} }, []problem{{"newsletters[0]", "unknown_newsletter"}}},
		{"a newsletter listed twice is refused", nil, func(r *req) { r.Newsletters = []string{"deals", "general", "deals"} }, []problem{{"newsletters[2]", "duplicate"}}},
		{"two different newsletters are valid", nil, func(r *req) { r.Newsletters = []string{"deals", "general"} }, nil},

		{"a username is refused when the store does not use usernames", nil, func(r *req) { r.Username = "ada" }, []problem{{"username", "not_enabled"}}},
		{"a missing username is required when usernames are on", []func(*settings.Settings){withUsernames},
			func(r *req) { r.Username = "" }, []problem{{"username", "required"}}},
		{"a username with a space is invalid", []func(*settings.Settings){withUsernames},
			func(r *req) { r.Username = "ada l" }, []problem{{"username", "invalid_username"}}},
		{"a username with @ is invalid", []func(*settings.Settings){withUsernames},
			func(r *req) { r.Username = "ada@home" }, []problem{{"username", "invalid_username"}}},
		{"a username of letters, digits and . _ - is valid", []func(*settings.Settings){withUsernames},
			func(r *req) { r.Username = "Ada.L_1815-x" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, append([]func(*settings.Settings){richSettings}, tt.opts...)...)
			r := richRequest()
			tt.change(&r)
			_, err := f.svc.Register(ctx, r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want the request accepted", err)
				}
				f.onlyCustomer(t)
				return
			}
			if got, want := problems(t, err), sortProblems(tt.want); !slices.Equal(got, want) {
				t.Errorf("got problems %v, want %v", got, want)
			}
			f.nothingStored(t)
		})
	}
}

func TestValidationKeepsOnlyCleanValues(t *testing.T) {
	t.Run("attributes are trimmed and empty ones dropped", func(t *testing.T) {
		f := newFixture(t, richSettings)
		r := richRequest()
		r.Attributes = map[string]string{"vip": " true ", "size": " M ", "nickname": "   "}
		f.register(t, r)
		got := f.onlyCustomer(t).Attributes
		if len(got) != 2 || got["vip"] != "true" || got["size"] != "M" {
			t.Errorf("got attributes %v, want map[size:M vip:true]", got)
		}
	})
}
