package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestARegistrationsMailStatus: the 202 of a registration names it, and
// the storefront reads what became of its mail by that name, whether the
// address was new or taken.
func TestARegistrationsMailStatus(t *testing.T) {
	f := newSystem(t)
	for _, email := range []string{"new@example.org", "ada@example.com"} {
		r := f.do(http.MethodPost, "/v1/customers", `{"email":"`+email+`","password":"a long passphrase","firstName":"Ada","lastName":"Byron"}`)
		var body struct {
			RegistrationID string `json:"registrationId"`
		}
		if r.status != http.StatusAccepted || json.Unmarshal([]byte(r.body), &body) != nil || body.RegistrationID == "" {
			t.Fatalf("register %s: %d %s, want 202 with a registrationId", email, r.status, r.body)
		}
		got := f.do(http.MethodGet, "/v1/registrations/"+body.RegistrationID, "")
		if got.status != http.StatusOK || got.body != `{"mail":"pending"}` || got.header.Get("Cache-Control") != "no-store" {
			t.Errorf("mail status of %s: %d %s (Cache-Control %q), want 200 pending, not stored", email, got.status, got.body, got.header.Get("Cache-Control"))
		}
	}
}
