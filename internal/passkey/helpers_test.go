package passkey_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/passkey/passkeytest"
)

const (
	customerID = "3f0c9a52-6d3e-4b1a-9c2d-7e8f9a0b1c2d"
	otherID    = "8d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
	sessionRef = "9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab"
	storefront = "https://shop.example.com"
)

var start = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// clock is a settable time source.
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: start} }
func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// user is the customer the tests add passkeys for.
func user() passkey.User {
	return passkey.User{ID: customerID, Email: "ada@example.com", DisplayName: "Ada"}
}

// allowed are the storefront's allowed origins.
func allowed() []string { return []string{"https://www.example.com"} }

// must returns v, failing the test with what and err when err is not nil.
func must[T any](t testing.TB, what string, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// ceremoniesFor returns the ceremonies of a storefront, on clock c.
func ceremoniesFor(t testing.TB, storefrontURL string, c *clock) *passkey.Ceremonies {
	t.Helper()
	cfg, err := passkey.ConfigFor(storefrontURL, allowed(), "Example Shop")
	cer, err := passkey.New(must(t, "ConfigFor", cfg, err), rand.Reader, c.now)
	return must(t, "New", cer, err)
}

// fixture is one storefront's ceremonies, a clock and a software
// authenticator on the storefront's page.
type fixture struct {
	clock *clock
	c     *passkey.Ceremonies
	auth  *passkeytest.Authenticator
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	c := newClock()
	auth, err := passkeytest.New(storefront)
	return &fixture{clock: c, c: ceremoniesFor(t, storefront, c), auth: must(t, "passkeytest.New", auth, err)}
}

// beginRegistration begins a registration for the test customer.
func (f *fixture) beginRegistration(t testing.TB, existing ...passkey.Credential) (json.RawMessage, passkey.Challenge) {
	t.Helper()
	opts, ch, err := f.c.BeginRegistration(user(), existing)
	return opts, must(t, "BeginRegistration", ch, err)
}

// create has the authenticator answer creation options.
func (f *fixture) create(t testing.TB, opts json.RawMessage) []byte {
	t.Helper()
	resp, err := f.auth.Create(opts)
	return must(t, "Create", resp, err)
}

// register adds the authenticator's passkey and fails the test if it
// cannot.
func (f *fixture) register(t testing.TB) passkey.Credential {
	t.Helper()
	opts, ch := f.beginRegistration(t)
	cred, err := f.c.FinishRegistration(ch, f.create(t, opts), "My phone", sessionRef)
	return must(t, "FinishRegistration", cred, err)
}

// beginSignIn begins a sign-in.
func (f *fixture) beginSignIn(t testing.TB) (json.RawMessage, passkey.Challenge) {
	t.Helper()
	opts, ch, err := f.c.BeginSignIn()
	return opts, must(t, "BeginSignIn", ch, err)
}

// get has the authenticator answer request options.
func (f *fixture) get(t testing.TB, opts json.RawMessage) []byte {
	t.Helper()
	resp, err := f.auth.Get(opts)
	return must(t, "Get", resp, err)
}

// finder finds the given credentials by ID and customer, NotFound else.
func finder(creds ...passkey.Credential) passkey.Finder {
	return func(id, handle []byte) (passkey.Credential, error) {
		for _, c := range creds {
			if bytes.Equal(c.ID, id) && c.CustomerID == string(handle) {
				return c, nil
			}
		}
		return passkey.Credential{}, apperr.New(apperr.NotFound, "No such passkey.")
	}
}

// signIn runs a whole sign-in against stored.
func (f *fixture) signIn(t testing.TB, stored passkey.Credential) (passkey.Credential, error) {
	t.Helper()
	opts, ch := f.beginSignIn(t)
	return f.c.FinishSignIn(ch, f.get(t, opts), finder(stored))
}

// challengeOf reads the challenge text out of options.
func challengeOf(t testing.TB, opts json.RawMessage) string {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("options without a challenge: %v %s", err, opts)
	}
	return o.PublicKey.Challenge
}

// wantInvalidCredential fails the test unless err is invalid_credential
// and its text (what reaches the logs) names none of the secrets.
func wantInvalidCredential(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want invalid_credential")
	}
	t.Logf("refused: %v", err)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.InvalidCredential {
		t.Fatalf("error %v (%T), want code invalid_credential", err, err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error text %q contains %q", err.Error(), s)
		}
	}
}
