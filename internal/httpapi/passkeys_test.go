package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/passkey/passkeytest"
)

// TestPasskeys: a signed-in customer adds a passkey with the password
// again (not without it), lists it, signs in with it on a new device
// (usernameless: no login sent), cannot replay the answer, and a password
// change made in another session removes it.
func TestPasskeys(t *testing.T) {
	f := newSystem(t)
	bearer := "Authorization: Bearer " + f.token
	key, err := passkeytest.New("https://shop.example")
	if err != nil {
		t.Fatal(err)
	}
	if r := f.do(http.MethodPost, "/v1/customers/me/passkeys/options", `{"password":"wrong horse"}`, bearer); r.status != http.StatusUnauthorized {
		t.Fatalf("options with a wrong password: %d %s", r.status, r.body)
	}
	opts := f.do(http.MethodPost, "/v1/customers/me/passkeys/options", `{"password":"correct horse"}`, bearer)
	if opts.status != http.StatusOK {
		t.Fatalf("creation options: %d %s", opts.status, opts.body)
	}
	created, err := key.Create([]byte(opts.body))
	if err != nil {
		t.Fatal(err)
	}
	add := f.do(http.MethodPost, "/v1/customers/me/passkeys", `{"credential":`+string(created)+`,"name":"Laptop"}`, bearer)
	if add.status != http.StatusCreated || !strings.Contains(add.body, `"name":"Laptop"`) {
		t.Fatalf("add: %d %s", add.status, add.body)
	}
	if again := f.do(http.MethodPost, "/v1/customers/me/passkeys", `{"credential":`+string(created)+`}`, bearer); again.status != http.StatusBadRequest ||
		!strings.Contains(again.body, "invalid_credential") {
		t.Errorf("the same answer again: %d %s, want invalid_credential", again.status, again.body)
	}
	var list struct {
		Passkeys []struct{ ID, Name string }
	}
	if r := f.do(http.MethodGet, "/v1/customers/me/passkeys", "", bearer); r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &list) != nil || len(list.Passkeys) != 1 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}

	signIn := func() answer {
		t.Helper()
		o := f.do(http.MethodPost, "/v1/passkey-sessions/options", "")
		var ro struct{ ChallengeID string }
		if o.status != http.StatusOK || json.Unmarshal([]byte(o.body), &ro) != nil || ro.ChallengeID == "" {
			t.Fatalf("request options: %d %s", o.status, o.body)
		}
		got, err := key.Get([]byte(o.body))
		if err != nil {
			t.Fatal(err)
		}
		body := `{"challengeId":"` + ro.ChallengeID + `","credential":` + string(got) + `}`
		r := f.do(http.MethodPost, "/v1/passkey-sessions", body)
		if replay := f.do(http.MethodPost, "/v1/passkey-sessions", body); replay.status != http.StatusBadRequest {
			t.Errorf("the same answer a second time: %d %s, want invalid_credential", replay.status, replay.body)
		}
		return r
	}
	r := signIn()
	var session struct{ SessionToken string }
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &session) != nil || session.SessionToken == "" {
		t.Fatalf("passkey sign-in: %d %s", r.status, r.body)
	}
	if me := f.do(http.MethodGet, "/v1/customers/me", "", "Authorization: Bearer "+session.SessionToken); me.status != http.StatusOK {
		t.Fatalf("me after a passkey sign-in: %d", me.status)
	}

	// A password change in the passkey's session keeps the passkey (that
	// session stays); one in another session ends the session that added
	// it, and with it the passkey.
	if r := f.do(http.MethodPut, "/v1/customers/me/password", `{"currentPassword":"correct horse","newPassword":"another horse"}`,
		"Authorization: Bearer "+session.SessionToken); r.status != http.StatusNoContent {
		t.Fatalf("password change: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/v1/customers/me/passkeys", "", "Authorization: Bearer "+session.SessionToken); !strings.Contains(r.body, `"passkeys":[]`) {
		t.Errorf("after a recovery that ended the session that added it: %s, want no passkey", r.body)
	}
	if r := signIn(); r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_credential") {
		t.Errorf("signing in with the removed passkey: %d %s", r.status, r.body)
	}
}
