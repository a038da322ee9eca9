package passkey_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/passkey/passkeytest"
)

func TestSignInOptions(t *testing.T) {
	f := newFixture(t)
	opts, ch := f.beginSignIn(t)
	var o map[string]any
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatal(err)
	}
	pk, _ := o["publicKey"].(map[string]any)
	if o["challengeId"] != ch.ID || pk["rpId"] != "example.com" || pk["userVerification"] != "preferred" {
		t.Errorf("options %s, challenge %+v", opts, ch)
	}
	if _, ok := pk["allowCredentials"]; ok {
		t.Errorf("sign-in options list credentials (%v); discoverable sign-in lists none", pk["allowCredentials"])
	}
	if ch.Purpose != passkey.PurposeSignIn || ch.CustomerID != "" || !passkey.WellFormedChallengeID(ch.ID) {
		t.Errorf("challenge %+v", ch)
	}
}

func TestFinishSignInRefuses(t *testing.T) {
	tests := []struct {
		name string
		// arrange may change the fixture and the stored credential and
		// returns the challenge to finish with.
		arrange func(t *testing.T, f *fixture, stored *passkey.Credential, ch passkey.Challenge) passkey.Challenge
		// client may make the authenticator, or the page it answers
		// for, misbehave.
		client func(a *passkeytest.Authenticator)
		answer func(resp []byte) []byte
		find   func(stored passkey.Credential) passkey.Finder
	}{
		{
			name: "refuses a challenge that has expired",
			arrange: func(t *testing.T, f *fixture, _ *passkey.Credential, ch passkey.Challenge) passkey.Challenge {
				f.clock.advance(passkey.ChallengeLifetime)
				return ch
			},
		},
		{
			name: "refuses a registration challenge",
			arrange: func(t *testing.T, f *fixture, _ *passkey.Credential, ch passkey.Challenge) passkey.Challenge {
				_, reg := f.beginRegistration(t)
				reg.Digest = ch.Digest
				return reg
			},
		},
		{
			name: "refuses the challenge of another sign-in",
			arrange: func(t *testing.T, f *fixture, _ *passkey.Credential, _ passkey.Challenge) passkey.Challenge {
				_, other := f.beginSignIn(t)
				return other
			},
		},
		{
			name: "refuses a challenge issued by another storefront",
			arrange: func(t *testing.T, f *fixture, _ *passkey.Credential, ch passkey.Challenge) passkey.Challenge {
				_, other, err := ceremoniesFor(t, "https://other.example", f.clock).BeginSignIn()
				if err != nil {
					t.Fatal(err)
				}
				other.Digest = ch.Digest
				return other
			},
		},
		{name: "refuses a response from another origin", client: func(a *passkeytest.Authenticator) { a.Origin = "https://evil.example" }},
		{name: "refuses an assertion for another RP ID", client: func(a *passkeytest.Authenticator) { a.RPID = "evil.example" }},
		{name: "refuses a tampered signature", client: func(a *passkeytest.Authenticator) { a.TamperSignature = true }},
		{
			name: "refuses a signature by another key",
			arrange: func(t *testing.T, f *fixture, _ *passkey.Credential, ch passkey.Challenge) passkey.Challenge {
				other, err := passkeytest.New(storefront)
				if err != nil {
					t.Fatal(err)
				}
				f.auth.Key = other.Key
				return ch
			},
		},
		{name: "refuses a registration's client data", client: func(a *passkeytest.Authenticator) { a.Type = "webauthn.create" }},
		{
			name: "refuses a passkey that is not registered",
			find: func(passkey.Credential) passkey.Finder { return finder() },
		},
		{
			name:   "refuses a user handle that is no customer ID, before any lookup",
			client: func(a *passkeytest.Authenticator) { a.UserHandle = []byte("admin") },
			find: func(passkey.Credential) passkey.Finder {
				return func(_, _ []byte) (passkey.Credential, error) { panic("looked up a malformed user handle") }
			},
		},
		{name: "refuses a passkey presented with another customer's user handle", client: func(a *passkeytest.Authenticator) { a.UserHandle = []byte(otherID) }},
		{
			name: "refuses a store answer that is not the credential that signed",
			find: func(stored passkey.Credential) passkey.Finder {
				return func(_, _ []byte) (passkey.Credential, error) {
					stored.CustomerID = otherID
					return stored, nil
				}
			},
		},
		{name: "refuses a passkey whose backup eligibility changed", client: func(a *passkeytest.Authenticator) { a.BackupEligible, a.BackupState = false, false }},
		{name: "refuses a passkey without a user handle", client: func(a *passkeytest.Authenticator) { a.UserHandle = nil }},
		{name: "refuses an empty body", answer: func([]byte) []byte { return nil }},
		{name: "refuses a string", answer: func([]byte) []byte { return []byte(`"credential"`) }},
		{name: "refuses a registration response", answer: func(resp []byte) []byte {
			return []byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`)
		}},
		{name: "refuses client data that is not JSON", answer: swapClientData(`not json`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			stored := f.register(t)
			opts, ch := f.beginSignIn(t)
			if tt.arrange != nil {
				ch = tt.arrange(t, f, &stored, ch)
			}
			if tt.client != nil {
				tt.client(f.auth)
			}
			resp := f.get(t, opts)
			if tt.answer != nil {
				resp = tt.answer(resp)
			}
			find := finder(stored)
			if tt.find != nil {
				find = tt.find(stored)
			}
			_, err := f.c.FinishSignIn(ch, resp, find)
			wantInvalidCredential(t, err, challengeOf(t, opts))
		})
	}
}

func TestFinishSignInPassesAStoreFailureOn(t *testing.T) {
	f := newFixture(t)
	f.register(t)
	outage := apperr.Wrap(apperr.Unavailable, "Try again.", errors.New("dynamodb: throttled"))
	opts, ch := f.beginSignIn(t)
	_, err := f.c.FinishSignIn(ch, f.get(t, opts), func(_, _ []byte) (passkey.Credential, error) {
		return passkey.Credential{}, outage
	})
	if !errors.Is(err, outage) {
		t.Errorf("error %v, want the store's own", err)
	}
}

func TestSignatureCounter(t *testing.T) {
	tests := []struct {
		name              string
		stored, presented uint32
		wantRefused       bool
	}{
		{"accepts counters both zero, as synced passkeys report", 0, 0, false},
		{"accepts a first counter after zero", 0, 1, false},
		{"accepts a counter that moved forward", 5, 6, false},
		{"accepts a counter that jumped forward", 5, 4_000_000_000, false},
		{"refuses a counter that stayed put", 5, 5, true},
		{"refuses a counter that went backwards", 5, 3, true},
		{"refuses a counter that fell back to zero", 5, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.auth.Counter = tt.stored
			stored := f.register(t)
			if stored.SignCount != tt.stored {
				t.Fatalf("registered with counter %d, want %d", stored.SignCount, tt.stored)
			}
			f.auth.Counter = tt.presented
			got, err := f.signIn(t, stored)
			if tt.wantRefused {
				wantInvalidCredential(t, err)
				if !errors.Is(err, passkey.ErrCounterWentBack) {
					t.Errorf("error %v does not wrap ErrCounterWentBack", err)
				}
				if !strings.Contains(err.Error(), "stored 5") {
					t.Errorf("error %q does not say the counters", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("FinishSignIn: %v", err)
			}
			if got.SignCount != tt.presented {
				t.Errorf("SignCount %d, want %d", got.SignCount, tt.presented)
			}
		})
	}
	t.Run("accepts a synced passkey's zero counter sign-in after sign-in", func(t *testing.T) {
		f := newFixture(t)
		stored := f.register(t)
		for i := range 3 {
			var err error
			if stored, err = f.signIn(t, stored); err != nil {
				t.Fatalf("sign-in %d: %v", i+1, err)
			}
		}
	})
}

func TestFinishSignInRecordsBackupState(t *testing.T) {
	f := newFixture(t)
	f.auth.BackupState = false
	stored := f.register(t)
	if stored.BackupState {
		t.Fatal("registered as backed up")
	}
	f.auth.BackupState = true
	got, err := f.signIn(t, stored)
	if err != nil {
		t.Fatal(err)
	}
	if !got.BackupState || !got.BackupEligible {
		t.Errorf("BackupState %v, BackupEligible %v; want both", got.BackupState, got.BackupEligible)
	}
}

func TestWellFormedChallengeID(t *testing.T) {
	tests := []struct {
		name string
		give string
		want bool
	}{
		{"accepts 16 bytes in unpadded base64url", "AAECAwQFBgcICQoLDA0ODw", true},
		{"refuses padding", "AAECAwQFBgcICQoLDA0ODw==", false},
		{"refuses the standard alphabet", "AAECAwQFBgcICQoLDA0OD+", false},
		{"refuses a short ID", "AAECAwQFBgcICQoLDA0OD", false},
		{"refuses an empty ID", "", false},
		{"refuses non-canonical trailing bits", "AAECAwQFBgcICQoLDA0ODx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := passkey.WellFormedChallengeID(tt.give); got != tt.want {
				t.Errorf("WellFormedChallengeID(%q) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func BenchmarkFinishSignIn(b *testing.B) {
	f := newFixture(b)
	stored := f.register(b)
	opts, ch := f.beginSignIn(b)
	resp := f.get(b, opts) // counter 0: the same answer verifies every time
	find := finder(stored)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.c.FinishSignIn(ch, resp, find); err != nil {
			b.Fatal(err)
		}
	}
}
