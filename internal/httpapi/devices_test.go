package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestDevices: a customer signed in on two devices lists both, the asking
// one first and marked current, and ends the other: its token stops
// working, the asking one keeps working.
func TestDevices(t *testing.T) {
	f := newSystem(t)
	phone := f.do(http.MethodPost, "/v1/sessions", `{"login":"ada@example.com","password":"correct horse"}`,
		"User-Agent: Phone/1.0", "X-Forwarded-For: 198.51.100.7")
	var signedIn struct {
		SessionToken string `json:"sessionToken"`
	}
	if phone.status != http.StatusOK || json.Unmarshal([]byte(phone.body), &signedIn) != nil {
		t.Fatalf("sign-in on the phone: %d %s", phone.status, phone.body)
	}
	f.clock.Advance(2 * time.Hour)
	type device struct {
		ID, UserAgent, LastUsedAt string
		Current                   bool
	}
	list := func(token string) []device {
		t.Helper()
		r := f.do(http.MethodGet, "/v1/customers/me/sessions", "", "Authorization: Bearer "+token)
		var body struct{ Sessions []device }
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &body) != nil {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		return body.Sessions
	}
	// The desktop (the fixture's session) asks, after using its session
	// two hours on: its last use is written.
	if r := f.do(http.MethodGet, "/v1/customers/me", "", "Authorization: Bearer "+f.token); r.status != http.StatusOK {
		t.Fatalf("me: %d", r.status)
	}
	got := list(f.token)
	if len(got) != 2 || !got[0].Current || got[1].Current || got[1].UserAgent != "Phone/1.0" {
		t.Fatalf("sessions %+v, want the asking one first and current, then the phone", got)
	}
	if got[0].LastUsedAt == "" || got[0].LastUsedAt == got[1].LastUsedAt {
		t.Errorf("last used %q and %q, want the desktop's touched two hours after the phone's sign-in", got[0].LastUsedAt, got[1].LastUsedAt)
	}
	if r := f.do(http.MethodDelete, "/v1/customers/me/sessions/"+got[1].ID, "", "Authorization: Bearer "+f.token); r.status != http.StatusNoContent {
		t.Fatalf("end the phone's session: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/v1/customers/me", "", "Authorization: Bearer "+signedIn.SessionToken); r.status != http.StatusUnauthorized {
		t.Errorf("the phone's token after its session ended: %d, want 401", r.status)
	}
	if after := list(f.token); len(after) != 1 || !after[0].Current {
		t.Errorf("sessions after ending the phone's: %+v, want only the current one", after)
	}
	if r := f.do(http.MethodDelete, "/v1/customers/me/sessions/"+got[1].ID, "", "Authorization: Bearer "+f.token); r.status != http.StatusNotFound {
		t.Errorf("ending it again: %d, want 404", r.status)
	}
}
