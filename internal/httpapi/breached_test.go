package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/password/pwnedtest"
	"github.com/openreg/registration/internal/settings"
)

// TestBreachedPasswords: a new password on the bundled list, or (where the
// policy asks) known to the range API, is refused on registration and on a
// password change with the field code password_breached; an outage of the
// range API refuses nothing.
func TestBreachedPasswords(t *testing.T) {
	api := pwnedtest.Start(map[string]int{"Tr0ub4dor&3 xyzzy": 42})
	defer api.Close()
	withRange := func(s *settings.Settings) {
		s.PasswordPolicy.BreachedCheck, s.PasswordPolicy.BreachedRangeURL = password.BreachedRange, api.RangeURL()
	}
	register := func(pw string) string {
		return `{"email":"grace@example.com","password":"` + pw + `","firstName":"Grace","lastName":"Hopper"}`
	}
	tests := []struct {
		name       string
		mutate     func(*settings.Settings)
		down       bool
		method     string
		path       string
		body       func(f *system) string
		wantStatus int
		wantCode   string
	}{
		{"a registration with a common password is refused", nil, false, http.MethodPost, "/v1/customers",
			func(*system) string { return register("iloveyou") }, http.StatusBadRequest, password.Breached},
		{"a registration with a password only the range API knows passes offline", nil, false, http.MethodPost, "/v1/customers",
			func(*system) string { return register("Tr0ub4dor&3 xyzzy") }, http.StatusAccepted, ""},
		{"with the range check, that registration is refused", withRange, false, http.MethodPost, "/v1/customers",
			func(*system) string { return register("Tr0ub4dor&3 xyzzy") }, http.StatusBadRequest, password.Breached},
		{"with the range check down, that registration passes", withRange, true, http.MethodPost, "/v1/customers",
			func(*system) string { return register("Tr0ub4dor&3 xyzzy") }, http.StatusAccepted, ""},
		{"with the range check, a password change to a known password is refused", withRange, false, http.MethodPut, "/v1/customers/me/password",
			func(*system) string { return `{"currentPassword":"correct horse","newPassword":"Tr0ub4dor&3 xyzzy"}` }, http.StatusBadRequest, password.Breached},
		{"a password change to a common password is refused", nil, false, http.MethodPut, "/v1/customers/me/password",
			func(*system) string { return `{"currentPassword":"correct horse","newPassword":"password1"}` }, http.StatusBadRequest, password.Breached},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api.Fail(0)
			if tt.down {
				api.Fail(http.StatusServiceUnavailable)
			}
			f := newSystemWith(t, tt.mutate)
			r := f.do(tt.method, tt.path, tt.body(f), "Authorization: Bearer "+f.token)
			if r.status != tt.wantStatus || (tt.wantCode != "" && !strings.Contains(r.body, `"code":"`+tt.wantCode+`"`)) {
				t.Errorf("%d %s, want %d with field code %q", r.status, r.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
}
