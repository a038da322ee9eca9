package passkey_test

import (
	"errors"
	"testing"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/passkey"
)

// malformedSeeds are bodies every Finish* must refuse as invalid_credential.
var malformedSeeds = []string{
	"", "null", "{}", "[]", `"x"`, "0", "{", `{"id":""}`,
	`{"id":"AA","rawId":"AA","type":"public-key"}`,
	`{"id":"AA","rawId":"AA","type":"public-key","response":{}}`,
	`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"","attestationObject":""}}`,
	`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`,
	`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`,
	`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","signature":"","userHandle":""}}`,
}

// wantRefusedOrAccepted fails the fuzz run unless err is nil or an
// invalid_credential error: a malformed body must never be another code
// (which the HTTP layer could answer with a 5xx).
func wantRefusedOrAccepted(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.InvalidCredential {
		t.Fatalf("error %v (%T), want nil or invalid_credential", err, err)
	}
}

// FuzzFinishRegistration feeds arbitrary bytes to FinishRegistration, with
// a real registration response among the seeds so mutations reach past
// the parser and the challenge check.
func FuzzFinishRegistration(f *testing.F) {
	fx := newFixture(f)
	opts, ch := fx.beginRegistration(f)
	f.Add(fx.create(f, opts))
	for _, s := range malformedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := fx.c.FinishRegistration(ch, body, "", sessionRef)
		wantRefusedOrAccepted(t, err)
	})
}

// FuzzFinishSignIn feeds arbitrary bytes to FinishSignIn, with a real
// assertion (counter 0, so it stays valid) among the seeds.
func FuzzFinishSignIn(f *testing.F) {
	fx := newFixture(f)
	stored := fx.register(f)
	opts, ch := fx.beginSignIn(f)
	f.Add(fx.get(f, opts))
	for _, s := range malformedSeeds {
		f.Add([]byte(s))
	}
	find := finder(stored)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := fx.c.FinishSignIn(ch, body, find)
		wantRefusedOrAccepted(t, err)
	})
}

func TestMalformedBodiesAreInvalidCredential(t *testing.T) {
	f := newFixture(t)
	stored := f.register(t)
	_, reg := f.beginRegistration(t)
	_, signIn := f.beginSignIn(t)
	for _, s := range malformedSeeds {
		t.Run("refuses "+printable(s), func(t *testing.T) {
			_, err := f.c.FinishRegistration(reg, []byte(s), "", sessionRef)
			wantInvalidCredential(t, err)
			_, err = f.c.FinishSignIn(signIn, []byte(s), finder(stored))
			wantInvalidCredential(t, err)
		})
	}
}

func printable(s string) string {
	if s == "" {
		return "an empty body"
	}
	return s
}

var _ passkey.Finder = finder()
