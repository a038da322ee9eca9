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
		Password: "xqz",
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
		{"a password below the minimum length is too short", nil, func(r *req) { r.Password = "x9q2z" }, []problem{{"password", "too_short"}}},
		{"a common password is refused as breached", nil, func(r *req) { r.Password = "iloveyou1" }, []problem{{"password", "password_breached"}}},
		{"a password of the minimum length counted in characters is valid", nil, func(r *req) { r.Password = "äöüßéè" }, nil},
		{"a password above the maximum length is too long", nil, func(r *req) { r.Password = strings.Repeat("p", 65) }, []problem{{"password", "too_long"}}},

		{"a missing required first name is required", nil, func(r *req) { r.Profile.FirstName = "" }, []problem{{"firstName", "required"}}},
		{"a first name of spaces is required", nil, func(r *req) { r.Profile.FirstName = "   " }, []problem{{"firstName", "required"}}},
		{"a last name with a NUL is refused", nil, func(r *req) { r.Profile.LastName = "Love\x00lace" }, []problem{{"lastName", "control_character"}}},
		{"a last name with a line break inside is refused", nil, func(r *req) { r.Profile.LastName = "Love\nlace" }, []problem{{"lastName", "control_character"}}},
		{"a last name with a line separator is refused", nil, func(r *req) { r.Profile.LastName = "Love\u2028lace" }, []problem{{"lastName", "control_character"}}},
		{"a last name with a right-to-left override is refused", nil, func(r *req) { r.Profile.LastName = "Love\u202elace" }, []problem{{"lastName", "control_character"}}},
		{"a first name with a zero-width space is refused", nil, func(r *req) { r.Profile.FirstName = "A\u200bda" }, []problem{{"firstName", "control_character"}}},
		{"a company with a bidi isolate is refused", nil, func(r *req) { r.Profile.Company = "Engines \u2067Ltd" }, []problem{{"company", "control_character"}}},
		{"a text attribute with a soft hyphen is refused", nil, func(r *req) { r.Attributes["nickname"] = "Ad\u00ada" }, []problem{{"attributes.nickname", "control_character"}}},
		{"a first name with a digit is not a name", nil, func(r *req) { r.Profile.FirstName = "Ada1" }, []problem{{"firstName", "invalid_name"}}},
		{"a last name with markup is not a name", nil, func(r *req) { r.Profile.LastName = "Love<b>lace</b>" }, []problem{{"lastName", "invalid_name"}}},
		{"a first name of 101 letters is too long rather than not a name", nil, func(r *req) { r.Profile.FirstName = strings.Repeat("a", 101) }, []problem{{"firstName", "too_long"}}},
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

// names are first and last names every script's customers have, which the
// default NamePattern must accept.
var names = []struct{ name, value string }{
	{"a Latin name with diacritics is a name", "Zoë Ångström-O'Brien"},
	{"a Latin name typed with a combining diaeresis is a name", "Zoe\u0308"},
	{"a Greek name is a name", "Αλέξανδρος Παπαδόπουλος"},
	{"a Cyrillic name is a name", "Дмитрий Шостакович"},
	{"an Arabic name is a name", "عبد الله"},
	{"a Devanagari name with combining marks is a name", "श्रीनिवास रामानुजन्"},
	{"a Chinese name is a name", "山田太郎"},
	{"a Korean name is a name", "김민준"},
	{"a name with an ASCII apostrophe is a name", "O'Brien"},
	{"a name with a typographic apostrophe is a name", "O’Brien"},
	{"a hyphenated name is a name", "Jean-Luc"},
	{"initials with dots and a space are a name", "J. R."},
	{"a single letter is a name", "Q"},
	{"a name with surrounding spaces is a name once trimmed", "  Ada  "},
	// Dots are allowed, so a host name passes the pattern; mails defuse links.
	{"a host name passes because dots are allowed", "www.evil.example"},
}

// notNames are first and last names the default NamePattern refuses: text to
// phrase a message or a link with, markup, digits.
var notNames = []struct{ name, value string }{
	{"a sentence with digits and an exclamation mark is not a name", "Your order 4411 is cancelled! Call"},
	{"a name with a script tag is not a name", "Ada<script>"},
	{"a name with a digit is not a name", "Ada1"},
	{"a URL is not a name", "http://x"},
	{"an email address is not a name", "ada@example.com"},
	{"a name with an ampersand is not a name", "Ada & Charles"},
	{"a name with an emoji is not a name", "Ada 😀"},
	{"a name with a comma is not a name", "Lovelace, Ada"},
	{"a name starting with a hyphen is not a name", "-Ada"},
	{"a name starting with a dot is not a name", ".Ada"},
	{"a name of Arabic-Indic digits is not a name", "٤٤١١"},
}

func TestValidationNamesFollowTheDefaultNamePattern(t *testing.T) {
	for _, field := range []string{settings.FirstName, settings.LastName} {
		set := func(r *registration.Request, v string) {
			if field == settings.FirstName {
				r.Profile.FirstName = v
			} else {
				r.Profile.LastName = v
			}
		}
		for _, tt := range names {
			t.Run(field+": "+tt.name, func(t *testing.T) {
				f := newFixture(t)
				r := validRequest()
				set(&r, tt.value)
				if _, err := f.svc.Register(ctx, r); err != nil {
					t.Fatalf("got %v, want %q accepted as %s", err, tt.value, field)
				}
				stored := f.onlyCustomer(t).Profile
				got := *stored.ByName(field)
				// Compared in NFC: the test is about the name being kept,
				// not about which normal form it is stored in.
				if got, want := customer.Canonical(got), customer.Canonical(tt.value); got != want {
					t.Errorf("got %s %q stored, want %q", field, got, want)
				}
			})
		}
		for _, tt := range notNames {
			t.Run(field+": "+tt.name, func(t *testing.T) {
				f := newFixture(t)
				r := validRequest()
				set(&r, tt.value)
				_, err := f.svc.Register(ctx, r)
				if got, want := problems(t, err), []problem{{field, "invalid_name"}}; !slices.Equal(got, want) {
					t.Errorf("got problems %v, want %v", got, want)
				}
				f.nothingStored(t)
			})
		}
	}
}

func TestValidationNameProblemExplainsWhatANameMayHold(t *testing.T) {
	f := newFixture(t)
	r := validRequest()
	r.Profile.FirstName = "Ada1"
	_, err := f.svc.Register(ctx, r)
	e := wantCode(t, err, apperr.Validation)
	if len(e.Fields) != 1 || e.Fields[0].Field != settings.FirstName || e.Fields[0].Code != "invalid_name" {
		t.Fatalf("got field problems %+v, want one firstName invalid_name", e.Fields)
	}
	msg := e.Fields[0].Message
	for _, word := range []string{"letters", "spaces", "apostrophes", "hyphens", "dots"} {
		if !strings.Contains(msg, word) {
			t.Errorf("got message %q, want it to mention %s", msg, word)
		}
	}
}

func TestValidationReportsNameProblemsWithEveryOtherProblem(t *testing.T) {
	f := newFixture(t, richSettings)
	r := richRequest()
	r.Email = "not-an-email"
	r.Profile.FirstName = "Your order 4411 is cancelled! Call"
	r.Profile.LastName = "http://x"
	r.Profile.DateOfBirth = "1990-13-01"
	r.Attributes["size"] = "XXL"
	_, err := f.svc.Register(ctx, r)
	got := problems(t, err)
	want := sortProblems([]problem{
		{"email", "invalid_email"},
		{"firstName", "invalid_name"},
		{"lastName", "invalid_name"},
		{"dateOfBirth", "invalid_date"},
		{"attributes.size", "invalid_value"},
	})
	if !slices.Equal(got, want) {
		t.Errorf("got problems\n%v\nwant\n%v", got, want)
	}
	f.nothingStored(t)
}

func TestValidationNamesFollowTheStoresNamePattern(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		value   string
		want    []problem // nil: accepted
	}{
		{"an ASCII-only pattern refuses a diaeresis", `^[A-Za-z][A-Za-z '-]*$`, "Zoë", []problem{{"firstName", "invalid_name"}}},
		{"an ASCII-only pattern accepts a plain name", `^[A-Za-z][A-Za-z '-]*$`, "Zoe", nil},
		{"a pattern with precomposed letters accepts a name typed with a combining mark", `^[A-Za-zÀ-ÿ]+$`, "Zoe\u0308", nil},
		{"a pattern without anchors must still match the whole name", `[A-Za-z]+`, "Ada1", []problem{{"firstName", "invalid_name"}}},
		{"a pattern without anchors accepts a name it matches whole", `[A-Za-z]+`, "Ada", nil},
		{"a pattern that allows digits accepts them", `^[\p{L}0-9 ]+$`, "Ada 2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(s *settings.Settings) { s.NamePattern = tt.pattern })
			r := validRequest()
			r.Profile.FirstName = tt.value
			_, err := f.svc.Register(ctx, r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want %q accepted under %s", err, tt.value, tt.pattern)
				}
				return
			}
			if got := problems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("got problems %v, want %v", got, tt.want)
			}
		})
	}
}
