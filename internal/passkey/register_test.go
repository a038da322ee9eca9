package passkey_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/passkey/passkeytest"
)

func TestRegistrationThenSignIn(t *testing.T) {
	f := newFixture(t)
	cred := f.register(t)

	want := passkey.Credential{
		ID: f.auth.CredentialID, CustomerID: customerID, Algorithm: -7, SignCount: 0,
		AAGUID: "00000000-0000-0000-0000-000000000000", Transports: []string{"hybrid", "internal"},
		BackupEligible: true, BackupState: true, Name: "My phone",
		CreatedAt: start, LastUsedAt: start, AddedBySession: sessionRef,
	}
	if !bytes.Equal(cred.ID, want.ID) || cred.CustomerID != want.CustomerID || cred.Algorithm != want.Algorithm ||
		cred.SignCount != want.SignCount || cred.AAGUID != want.AAGUID || !slices.Equal(cred.Transports, want.Transports) ||
		cred.BackupEligible != want.BackupEligible || cred.BackupState != want.BackupState || cred.Name != want.Name ||
		!cred.CreatedAt.Equal(want.CreatedAt) || !cred.LastUsedAt.Equal(want.LastUsedAt) || cred.AddedBySession != want.AddedBySession {
		t.Errorf("registered %+v\nwant       %+v", cred, want)
	}
	if len(cred.PublicKey) == 0 {
		t.Error("the credential has no public key")
	}
	if got, ok := passkey.ParseCredentialID(cred.IDText()); !ok || !bytes.Equal(got, cred.ID) {
		t.Errorf("ParseCredentialID(IDText()) = %x, %v; want %x", got, ok, cred.ID)
	}

	f.clock.advance(time.Hour)
	signedIn, err := f.signIn(t, cred)
	if err != nil {
		t.Fatalf("FinishSignIn: %v", err)
	}
	if !bytes.Equal(signedIn.ID, cred.ID) || signedIn.CustomerID != customerID {
		t.Errorf("signed in with %x of %s, want %x of %s", signedIn.ID, signedIn.CustomerID, cred.ID, customerID)
	}
	if !signedIn.LastUsedAt.Equal(start.Add(time.Hour)) || !signedIn.CreatedAt.Equal(start) {
		t.Errorf("LastUsedAt %v, CreatedAt %v; want %v and %v", signedIn.LastUsedAt, signedIn.CreatedAt, start.Add(time.Hour), start)
	}
}

func TestRegistrationOptions(t *testing.T) {
	f := newFixture(t)
	existing := []passkey.Credential{
		{ID: []byte("first passkey id"), Transports: []string{"internal"}},
		{ID: []byte("second passkey id")},
	}
	opts, ch := f.beginRegistration(t, existing...)

	var o struct {
		ChallengeID string `json:"challengeId"`
		PublicKey   struct {
			RP        struct{ ID, Name string }
			User      struct{ ID, Name, DisplayName string }
			Challenge string
			Timeout   int
			Exclude   []struct {
				ID         string   `json:"id"`
				Transports []string `json:"transports"`
			} `json:"excludeCredentials"`
			Selection struct {
				ResidentKey        string `json:"residentKey"`
				RequireResidentKey bool   `json:"requireResidentKey"`
				UserVerification   string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Attestation string
			Params      []struct{ Alg int } `json:"pubKeyCredParams"`
		}
	}
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatalf("options: %v", err)
	}
	pk := o.PublicKey
	b64 := base64.RawURLEncoding.EncodeToString
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"challengeId", o.ChallengeID, ch.ID},
		{"rp.id", pk.RP.ID, "example.com"},
		{"rp.name", pk.RP.Name, "Example Shop"},
		{"user.id", pk.User.ID, b64([]byte(customerID))},
		{"user.name", pk.User.Name, "ada@example.com"},
		{"user.displayName", pk.User.DisplayName, "Ada"},
		{"timeout", pk.Timeout, int(passkey.ChallengeLifetime / time.Millisecond)},
		{"residentKey", pk.Selection.ResidentKey, "required"},
		{"requireResidentKey", pk.Selection.RequireResidentKey, true},
		{"userVerification", pk.Selection.UserVerification, "preferred"},
		{"attestation", pk.Attestation, "none"},
		{"first algorithm", pk.Params[0].Alg, -7},
		{"excluded", len(pk.Exclude), 2},
		{"first excluded", pk.Exclude[0].ID, b64(existing[0].ID)},
		{"its transports", strings.Join(pk.Exclude[0].Transports, ","), "internal"},
		{"second excluded", pk.Exclude[1].ID, b64(existing[1].ID)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if !passkey.WellFormedChallengeID(ch.ID) {
		t.Errorf("challenge ID %q is not well formed", ch.ID)
	}
	if ch.Purpose != passkey.PurposeRegister || ch.CustomerID != customerID || ch.RPID != "example.com" ||
		!ch.ExpiresAt.Equal(start.Add(5*time.Minute)) {
		t.Errorf("challenge %+v", ch)
	}
}

func TestRegistrationExcludesExistingPasskeys(t *testing.T) {
	f := newFixture(t)
	cred := f.register(t)

	opts, _ := f.beginRegistration(t, cred)
	if _, err := f.auth.Create(opts); !errors.Is(err, passkeytest.ErrExcluded) {
		t.Errorf("an authenticator holding a passkey of the customer was asked again: %v", err)
	}
	other, err := passkeytest.New(storefront)
	if err != nil {
		t.Fatal(err)
	}
	opts, ch := f.beginRegistration(t, cred)
	resp, err := other.Create(opts)
	if err != nil {
		t.Fatalf("another authenticator was excluded: %v", err)
	}
	if _, err := f.c.FinishRegistration(ch, resp, "", sessionRef); err != nil {
		t.Errorf("a second authenticator cannot register: %v", err)
	}
}

func TestChallengesAreStoredHashed(t *testing.T) {
	f := newFixture(t)
	for _, begin := range []struct {
		name string
		run  func() (json.RawMessage, passkey.Challenge)
	}{
		{"a registration challenge is stored as its digest", func() (json.RawMessage, passkey.Challenge) { return f.beginRegistration(t) }},
		{"a sign-in challenge is stored as its digest", func() (json.RawMessage, passkey.Challenge) { return f.beginSignIn(t) }},
	} {
		t.Run(begin.name, func(t *testing.T) {
			opts, ch := begin.run()
			text := challengeOf(t, opts)
			raw, err := base64.RawURLEncoding.DecodeString(text)
			if err != nil || len(raw) != 32 {
				t.Fatalf("challenge %q: %v, %d bytes", text, err, len(raw))
			}
			sum := sha256.Sum256(raw)
			if ch.Digest != hex.EncodeToString(sum[:]) {
				t.Errorf("Digest %s, want the SHA-256 of the challenge bytes", ch.Digest)
			}
			record, _ := json.Marshal(ch)
			for _, form := range []string{text, base64.StdEncoding.EncodeToString(raw), hex.EncodeToString(raw)} {
				if strings.Contains(string(record), form) {
					t.Errorf("the stored challenge %s holds the challenge (%s)", record, form)
				}
			}
			if strings.Contains(ch.ID, text) || strings.Contains(text, ch.ID) {
				t.Errorf("the challenge ID %q is derived from the challenge", ch.ID)
			}
		})
	}
}

func TestFinishRegistrationRefuses(t *testing.T) {
	tests := []struct {
		name string
		// arrange may change the fixture and returns the challenge to
		// finish with (ch unless it says otherwise).
		arrange func(t *testing.T, f *fixture, ch passkey.Challenge) passkey.Challenge
		// client may make the authenticator, or the page it answers
		// for, misbehave.
		client func(a *passkeytest.Authenticator)
		// answer may replace the authenticator's response.
		answer func(resp []byte) []byte
	}{
		{
			name: "refuses a challenge that has expired",
			arrange: func(t *testing.T, f *fixture, ch passkey.Challenge) passkey.Challenge {
				f.clock.advance(passkey.ChallengeLifetime)
				return ch
			},
		},
		{
			name: "refuses a sign-in challenge",
			arrange: func(t *testing.T, f *fixture, ch passkey.Challenge) passkey.Challenge {
				_, signIn := f.beginSignIn(t)
				signIn.Digest = ch.Digest // even one that carries the right digest
				return signIn
			},
		},
		{
			name: "refuses the challenge of another registration",
			arrange: func(t *testing.T, f *fixture, ch passkey.Challenge) passkey.Challenge {
				_, other := f.beginRegistration(t)
				return other
			},
		},
		{
			name: "refuses a challenge issued for another relying party",
			arrange: func(t *testing.T, f *fixture, ch passkey.Challenge) passkey.Challenge {
				ch.RPID = "other.example"
				return ch
			},
		},
		{name: "refuses a response from an origin that is not the storefront's or an allowed one", client: func(a *passkeytest.Authenticator) { a.Origin = "https://evil.example" }},
		{name: "refuses a response from an allowed origin's lookalike", client: func(a *passkeytest.Authenticator) { a.Origin = "http://shop.example.com" }},
		{name: "refuses a credential made for another RP ID", client: func(a *passkeytest.Authenticator) { a.RPID = "shop.example.com" }},
		{name: "refuses an assertion's client data", client: func(a *passkeytest.Authenticator) { a.Type = "webauthn.get" }},
		{name: "refuses backup state without backup eligibility", client: func(a *passkeytest.Authenticator) { a.BackupEligible = false }},
		{
			name:   "refuses a response whose client data was swapped",
			answer: swapClientData(`{"type":"webauthn.create","challenge":"AAAA","origin":"https://shop.example.com"}`),
		},
		{name: "refuses an empty body", answer: func([]byte) []byte { return nil }},
		{name: "refuses JSON null", answer: func([]byte) []byte { return []byte("null") }},
		{name: "refuses an empty object", answer: func([]byte) []byte { return []byte("{}") }},
		{name: "refuses an assertion", answer: func(resp []byte) []byte {
			return []byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":""}}`)
		}},
		{name: "refuses trailing data", answer: func(resp []byte) []byte { return append(resp, []byte(" {}")...) }},
		{name: "refuses a body over the size limit", answer: func(resp []byte) []byte { return bytes.Repeat([]byte(" "), passkey.MaxCredentialJSON+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			opts, ch := f.beginRegistration(t)
			if tt.arrange != nil {
				ch = tt.arrange(t, f, ch)
			}
			if tt.client != nil {
				tt.client(f.auth)
			}
			resp := f.create(t, opts)
			if tt.answer != nil {
				resp = tt.answer(resp)
			}
			_, err := f.c.FinishRegistration(ch, resp, "", sessionRef)
			wantInvalidCredential(t, err, challengeOf(t, opts))
		})
	}
}

func TestFinishRegistrationAcceptsAChallengeAMomentBeforeItExpires(t *testing.T) {
	f := newFixture(t)
	opts, ch := f.beginRegistration(t)
	f.clock.advance(passkey.ChallengeLifetime - time.Second)
	if _, err := f.c.FinishRegistration(ch, f.create(t, opts), "", sessionRef); err != nil {
		t.Errorf("FinishRegistration: %v", err)
	}
}

func TestFinishRegistrationAcceptsAnAllowedOrigin(t *testing.T) {
	f := newFixture(t)
	f.auth.Origin = "https://www.example.com"
	opts, ch := f.beginRegistration(t)
	if _, err := f.c.FinishRegistration(ch, f.create(t, opts), "", sessionRef); err != nil {
		t.Errorf("FinishRegistration from an allowed origin: %v", err)
	}
}

func TestPasskeyNames(t *testing.T) {
	tests := []struct {
		name, give, want string
		wantCode         string
	}{
		{"keeps a plain name", "My phone", "My phone", ""},
		{"trims the spaces around it", "  Laptop  ", "Laptop", ""},
		{"accepts no name", "", "", ""},
		{"accepts 64 characters", strings.Repeat("é", 64), strings.Repeat("é", 64), ""},
		{"refuses 65 characters", strings.Repeat("é", 65), "", "too_long"},
		{"refuses a line break", "My\nphone", "", "control_character"},
		{"refuses a bidi override", "My \u202ephone", "", "control_character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := passkey.CheckName(tt.give)
			if tt.wantCode == "" {
				if err != nil || got != tt.want {
					t.Errorf("CheckName(%q) = %q, %v; want %q", tt.give, got, err, tt.want)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Validation || len(ae.Fields) != 1 ||
				ae.Fields[0].Field != "name" || ae.Fields[0].Code != tt.wantCode {
				t.Errorf("CheckName(%q) error %v, want field name, code %s", tt.give, err, tt.wantCode)
			}
		})
	}
	t.Run("a bad name is refused before the credential is looked at", func(t *testing.T) {
		f := newFixture(t)
		_, ch := f.beginRegistration(t)
		_, err := f.c.FinishRegistration(ch, nil, "a\x00b", sessionRef)
		if apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("error %v, want validation_failed", err)
		}
	})
}

// swapClientData replaces the clientDataJSON of a response.
func swapClientData(clientData string) func([]byte) []byte {
	return func(resp []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(resp, &m); err != nil {
			panic(err)
		}
		m["response"].(map[string]any)["clientDataJSON"] = base64.RawURLEncoding.EncodeToString([]byte(clientData))
		out, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		return out
	}
}
