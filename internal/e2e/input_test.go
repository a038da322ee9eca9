package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/settings"
)

// TestBadInput: every bad request gets a clear 4xx problem with a stable
// code, and stores nothing.
func TestBadInput(t *testing.T) {
	s := newStack(t, func(st *settings.Settings) {
		st.Fields[settings.CountryCode] = settings.Field{Enabled: true}
		st.Consents = []settings.Consent{{ID: "terms", Message: "I accept the terms.", Required: true}}
	})
	valid := `"email":"x@example.com","password":"correct horse","firstName":"A","lastName":"B","consents":{"terms":true}`
	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantCode                string
		wantField               string
	}{
		{"malformed JSON", "application/json", `{"email":`, 400, "malformed_body", ""},
		{"a JSON array instead of an object", "application/json", `[1,2]`, 400, "malformed_body", ""},
		{"two JSON documents", "application/json", `{` + valid + `}{}`, 400, "malformed_body", ""},
		{"an empty body", "application/json", ``, 400, "malformed_body", ""},
		{"a number where a string belongs", "application/json", `{"email":42,"password":"x"}`, 400, "validation_failed", "email"},
		{"a string where a boolean belongs", "application/json", `{` + valid + `,"acceptPrivacyPolicy":"yes"}`, 400, "validation_failed", "acceptPrivacyPolicy"},
		{"an unknown field", "application/json", `{` + valid + `,"isAdmin":true}`, 400, "unknown_field", "isAdmin"},
		{"a body over 16 KiB", "application/json", `{` + valid + `,"company":"` + strings.Repeat("x", 17<<10) + `"}`, 413, "payload_too_large", ""},
		{"form encoding where JSON is expected", "application/x-www-form-urlencoded", `email=x@example.com`, 415, "unsupported_media_type", ""},
		{"no content type", "", `{` + valid + `}`, 415, "unsupported_media_type", ""},
		{"an invalid email", "application/json", `{"email":"not-an-address","password":"correct horse","firstName":"A","lastName":"B","consents":{"terms":true}}`, 400, "validation_failed", "email"},
		{"an email over 254 characters", "application/json", `{"email":"` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + `.com","password":"correct horse","firstName":"A","lastName":"B","consents":{"terms":true}}`, 400, "validation_failed", "email"},
		{"an over-long first name", "application/json", `{"email":"x@example.com","password":"correct horse","firstName":"` + strings.Repeat("é", 101) + `","lastName":"B","consents":{"terms":true}}`, 400, "validation_failed", "firstName"},
		{"a control character in a name", "application/json", `{"email":"x@example.com","password":"correct horse","firstName":"A\u0000","lastName":"B","consents":{"terms":true}}`, 400, "validation_failed", "firstName"},
		{"a line break in a name", "application/json", `{"email":"x@example.com","password":"correct horse","firstName":"A\r\nBcc: x@evil.example","lastName":"B","consents":{"terms":true}}`, 400, "validation_failed", "firstName"},
		{"a password below the policy", "application/json", `{"email":"x@example.com","password":"123","firstName":"A","lastName":"B","consents":{"terms":true}}`, 400, "validation_failed", "password"},
		{"a required consent not given", "application/json", `{"email":"x@example.com","password":"correct horse","firstName":"A","lastName":"B"}`, 400, "validation_failed", "consents.terms"},
		{"a field the store does not collect", "application/json", `{` + valid + `,"phone":"+49 30 1234"}`, 400, "validation_failed", "phone"},
		{"a malformed country", "application/json", `{` + valid + `,"countryCode":"Germany"}`, 400, "validation_failed", "countryCode"},
		{"an unknown newsletter", "application/json", `{` + valid + `,"newsletters":["spam"]}`, 400, "validation_failed", "newsletters[0]"},
	}
	for _, tt := range tests {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			before := s.items()
			r := s.do(http.MethodPost, "/v1/customers", tt.contentType, []byte(tt.body))
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if got := r.code(t); got != tt.wantCode {
				t.Errorf("code = %q, want %q", got, tt.wantCode)
			}
			if tt.wantField != "" && !hasFieldError(r.json(t), tt.wantField) {
				t.Errorf("no error for field %q in %s", tt.wantField, r.body)
			}
			if got := s.items(); got != before {
				t.Errorf("items = %d, want %d: bad input stored something", got, before)
			}
		})
	}

	t.Run("lists every field problem at once", func(t *testing.T) {
		r := s.do(http.MethodPost, "/v1/customers", "application/json", []byte(`{"email":"bad","password":"1"}`))
		p := r.json(t)
		for _, f := range []string{"email", "password", "firstName", "lastName", "consents.terms"} {
			if !hasFieldError(p, f) {
				t.Errorf("missing error for %s: %s", f, r.body)
			}
		}
	})

	t.Run("refuses a malformed store id", func(t *testing.T) {
		r := s.do(http.MethodPost, "/v1/customers", "application/json", []byte(`{`+valid+`}`), "X-Store-Id: ../../etc")
		if r.status != 400 || !hasFieldError(r.json(t), "X-Store-Id") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})

	t.Run("sign-in refuses bad input the same way", func(t *testing.T) {
		for body, code := range map[string]string{
			`{"login":"a@b.co"}`:                        "validation_failed",
			`{"login":"a@b.co","password":"x","foo":1}`: "unknown_field",
			`{"login":["a"],"password":"x"}`:            "validation_failed",
			`nope`:                                      "malformed_body",
		} {
			r := s.do(http.MethodPost, "/v1/sessions", "application/json", []byte(body))
			if r.status != 400 || r.code(t) != code {
				t.Errorf("%s: %d %s, want 400 %s", body, r.status, r.body, code)
			}
		}
	})

	t.Run("unknown routes and methods get problems too", func(t *testing.T) {
		if r := s.do(http.MethodPut, "/v1/customers", "application/json", []byte(`{}`)); r.status != 405 || r.header.Get("Allow") != "POST" {
			t.Errorf("PUT /v1/customers: %d Allow %q", r.status, r.header.Get("Allow"))
		}
		if r := s.do(http.MethodGet, "/v1/nothing", "", nil); r.status != 404 {
			t.Errorf("unknown path: %d", r.status)
		}
	})
}

func hasFieldError(p map[string]any, field string) bool {
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok && m["field"] == field {
			return true
		}
	}
	return false
}
