package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/settings"
)

// TestTheStoresEmailChecksRefuse: a store that refuses disposable
// addresses refuses them at registration and address change with a 400
// naming the field, stores nothing, and says so in its registration form.
func TestTheStoresEmailChecksRefuse(t *testing.T) {
	f := newSystemWith(t, func(s *settings.Settings) { s.EmailChecks.Disposable = settings.DisposableRefuse })
	bearer := "Authorization: Bearer " + f.token
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code, field              string
	}{
		{"a registration with a disposable address is refused", "POST", "/v1/customers",
			`{"email":"shopper@mailinator.com","password":"a long passphrase","firstName":"Ada","lastName":"Byron"}`, nil, 400, "disposable_email", `"field":"email"`},
		{"a registration with an ordinary address is taken", "POST", "/v1/customers",
			`{"email":"shopper@example.org","password":"a long passphrase","firstName":"Ada","lastName":"Byron"}`, nil, 202, "", ""},
		{"an otherwise invalid form lists its field problems first", "POST", "/v1/customers",
			`{"email":"shopper@mailinator.com","password":"a long passphrase"}`, nil, 400, "validation_failed", `"field":"firstName"`},
		{"an address change to a disposable address is refused", "POST", "/v1/customers/me/email-change",
			`{"newEmail":"ada@mailinator.com","password":"correct horse"}`, []string{bearer}, 400, "disposable_email", `"field":"newEmail"`},
		{"an address change to an ordinary address is taken", "POST", "/v1/customers/me/email-change",
			`{"newEmail":"ada@example.org","password":"correct horse"}`, []string{bearer}, 202, "", ""},
		{"the form says what the store refuses", "GET", "/v1/registration-form", "", nil, 200, "", `"emailChecks":{"disposable":"refuse","requireMx":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, tt.body, tt.headers...)
			if r.status != tt.status || tt.code != "" && !strings.Contains(r.body, `"code":"`+tt.code+`"`) || !strings.Contains(r.body, tt.field) {
				t.Fatalf("%s %s = %d %s, want %d %s with %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code, tt.field)
			}
		})
	}
	if _, pending := f.store.Stored(); len(pending) != 1 {
		t.Errorf("%d pending registrations stored, want only the ordinary address's", len(pending))
	}
	if r := f.do(http.MethodGet, "/v1/customers/me", "", bearer); !strings.Contains(r.body, `"email":"ada@example.com"`) {
		t.Errorf("the refused change moved the account: %s", r.body)
	}
}
