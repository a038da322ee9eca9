package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/passkey/passkeytest"
)

// TestPasskeysOnTheStack: on the template's functions with their IAM
// enforced, a customer adds a passkey (account function) and signs in
// with it (sign-in function) in one read and one write; the notice goes
// out.
func TestPasskeysOnTheStack(t *testing.T) {
	s := newStack(t, nil)
	email := "passkeys@example.com"
	tok := s.activeCustomer(email, "correct horse")
	key, err := passkeytest.New("https://shop.example")
	if err != nil {
		t.Fatal(err)
	}
	opts := s.do(http.MethodPost, "/v1/customers/me/passkeys/options", "application/json", []byte(`{"password":"correct horse"}`), as(tok))
	if opts.status != http.StatusOK {
		t.Fatalf("creation options: %d %s", opts.status, opts.body)
	}
	created, err := key.Create(opts.body)
	if err != nil {
		t.Fatal(err)
	}
	add := s.do(http.MethodPost, "/v1/customers/me/passkeys", "application/json", []byte(`{"credential":`+string(created)+`,"name":"Laptop"}`), as(tok))
	if add.status != http.StatusCreated {
		t.Fatalf("add: %d %s", add.status, add.body)
	}
	if m := s.mailedSubject(email, "passkey"); m == "" {
		t.Error("no notice of the new passkey")
	}
	t.Run("a second passkey with a mailed code instead of the password", func(t *testing.T) {
		expect(t, s.postJSON("/v1/sign-in-codes", map[string]any{"email": email}), http.StatusAccepted)
		mailed := s.mailedCode(email, "sign-in code")
		if r := s.do(http.MethodPost, "/v1/customers/me/passkeys/options", "application/json", []byte(`{"code":"`+otherCode(mailed)+`"}`), as(tok)); r.status != http.StatusBadRequest {
			t.Fatalf("options with a wrong code: %d %s", r.status, r.body)
		}
		opts := s.do(http.MethodPost, "/v1/customers/me/passkeys/options", "application/json", []byte(`{"code":"`+mailed+`"}`), as(tok))
		phone, err := passkeytest.New("https://shop.example")
		if opts.status != http.StatusOK || err != nil {
			t.Fatalf("options with the mailed code: %d %s (%v)", opts.status, opts.body, err)
		}
		created, err := phone.Create(opts.body)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, s.do(http.MethodPost, "/v1/customers/me/passkeys", "application/json", []byte(`{"credential":`+string(created)+`,"name":"Phone"}`), as(tok)), http.StatusCreated)
		if r := s.do(http.MethodPost, "/v1/customers/me/passkeys/options", "application/json", []byte(`{"code":"`+mailed+`"}`), as(tok)); r.status != http.StatusBadRequest {
			t.Errorf("the spent code again: %d %s, want code_invalid", r.status, r.body)
		}
	})
	o := s.do(http.MethodPost, "/v1/passkey-sessions/options", "", nil)
	challenge, _ := o.json(t)["challengeId"].(string)
	got, err := key.Get(o.body)
	if o.status != http.StatusOK || challenge == "" || err != nil {
		t.Fatalf("request options: %d %s (%v)", o.status, o.body, err)
	}
	r := s.postJSON("/v1/passkey-sessions", map[string]any{"challengeId": challenge, "credential": json.RawMessage(got)})
	if session, _ := r.json(t)["sessionToken"].(string); r.status != http.StatusOK || session == "" {
		t.Fatalf("passkey sign-in: %d %s", r.status, r.body)
	}
}

// mailedSubject is the subject of the newest mail to addr whose subject
// contains part ("" when none).
func (s *stack) mailedSubject(addr, part string) string {
	s.t.Helper()
	s.deliverMail()
	mails := s.mailsTo(addr)
	for i := len(mails) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(mails[i].Subject), part) {
			return mails[i].Subject
		}
	}
	return ""
}
