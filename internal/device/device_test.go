package device_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/device"
)

const (
	keyA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func keys(t *testing.T, doc string) device.Keys {
	t.Helper()
	k, err := device.ParseKeys(doc)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKeys(t *testing.T) {
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"one key, current", `{"current":"k1","k1":"` + keyA + `"}`, true},
		{"two keys during a rotation", `{"current":"k2","k1":"` + keyA + `","k2":"` + keyB + `"}`, true},
		{"current names no key", `{"current":"k9","k1":"` + keyA + `"}`, false},
		{"no current", `{"k1":"` + keyA + `"}`, false},
		{"a short key", `{"current":"k1","k1":"short"}`, false},
		{"a key id with a dot", `{"current":"k.1","k.1":"` + keyA + `"}`, false},
		{"not JSON", `k1=` + keyA, false},
		{"a key that is no string", `{"current":"k1","k1":42}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := device.ParseKeys(tt.doc); (err == nil) != tt.ok {
				t.Errorf("ParseKeys = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	old := keys(t, `{"current":"k1","k1":"`+keyA+`"}`)
	rotating := keys(t, `{"current":"k2","k1":"`+keyA+`","k2":"`+keyB+`"}`)
	rotated := keys(t, `{"current":"k2","k2":"`+keyB+`"}`)
	plain, tok, err := old.Issue("email:ada@example.com", rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "ada") || len(plain) > device.MaxTokenLen || len(tok.ID) != 32 || !tok.IssuedAt.Equal(now) {
		t.Fatalf("token %q, %+v", plain, tok)
	}
	flip := []byte(plain)
	flip[len(flip)/2] ^= 1
	tests := []struct {
		name    string
		keys    device.Keys
		plain   string
		subject string
		ok      bool
	}{
		{"verifies for its login", old, plain, "email:ada@example.com", true},
		{"verifies with the old key during a rotation", rotating, plain, "email:ada@example.com", true},
		{"is refused once its key is gone", rotated, plain, "email:ada@example.com", false},
		{"is refused for another login", old, plain, "email:bob@example.com", false},
		{"is refused for the same text as a username", old, plain, "username:ada@example.com", false},
		{"is refused with a changed byte", old, string(flip), "email:ada@example.com", false},
		{"is refused when empty", old, "", "email:ada@example.com", false},
		{"is refused when too long", old, plain + strings.Repeat("A", device.MaxTokenLen), "email:ada@example.com", false},
		{"is refused in another version", old, "d2" + plain[2:], "email:ada@example.com", false},
		{"is refused with its mac cut", old, plain[:strings.LastIndex(plain, ".")], "email:ada@example.com", false},
		{"is refused as garbage", old, "d1.k1.!!!.???", "email:ada@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.keys.Verify(tt.plain, tt.subject)
			if ok != tt.ok {
				t.Fatalf("Verify = %v, want %v", ok, tt.ok)
			}
			if ok && (got.ID != tok.ID || !got.IssuedAt.Equal(now)) {
				t.Errorf("Verify = %+v, want %+v", got, tok)
			}
		})
	}
	t.Run("a token issued during a rotation is signed with the new key", func(t *testing.T) {
		p, tk, err := rotating.Issue("email:ada@example.com", rand.Reader, now)
		if err != nil || tk.KeyID != "k2" {
			t.Fatalf("%v %+v", err, tk)
		}
		if _, ok := rotated.Verify(p, "email:ada@example.com"); !ok {
			t.Error("the new key's token is refused after the rotation ended")
		}
	})
}

func FuzzVerify(f *testing.F) {
	k, _ := device.ParseKeys(`{"current":"k1","k1":"` + keyA + `"}`)
	// A fixed device id: every fuzz worker makes the same token.
	good, _, _ := k.Issue("email:a@b.co", strings.NewReader(strings.Repeat("x", 16)), time.Unix(1_800_000_000, 0))
	for _, s := range []string{good, "", "d1.k1..", "d1.k1.AAAA.AAAA", good + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, plain string) {
		// Whatever arrives, Verify answers without panicking, and only a
		// token it issued verifies.
		if _, ok := k.Verify(plain, "email:a@b.co"); ok && plain != good {
			t.Errorf("%q verified", plain)
		}
	})
}

func TestKeyringReadsOnceAndAgainAfterRefresh(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	reads, doc, fail := 0, `{"current":"k1","k1":"`+keyA+`"}`, false
	r := device.NewKeyring(func(context.Context) (string, error) {
		reads++
		if fail {
			return "", errors.New("secret store down")
		}
		return doc, nil
	}, func() time.Time { return now })
	for range 3 {
		if _, err := r.Keys(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if reads != 1 {
		t.Fatalf("%d reads for three uses, want 1", reads)
	}
	doc = `{"current":"k2","k1":"` + keyA + `","k2":"` + keyB + `"}`
	now = now.Add(6 * time.Minute)
	k, _ := r.Keys(context.Background())
	if _, tok, _ := k.Issue("email:a@b.co", rand.Reader, now); tok.KeyID != "k2" || reads != 2 {
		t.Errorf("after the refresh: key %s, %d reads; want k2 and a second read", tok.KeyID, reads)
	}
	fail, now = true, now.Add(6*time.Minute)
	if k, err := r.Keys(context.Background()); err != nil {
		t.Errorf("an outage after a read: %v; want the keys read before", err)
	} else if _, tok, _ := k.Issue("email:a@b.co", rand.Reader, now); tok.KeyID != "k2" {
		t.Errorf("key %s", tok.KeyID)
	}
	if _, err := device.NewKeyring(func(context.Context) (string, error) { return "", errors.New("down") }, time.Now).Keys(context.Background()); err == nil {
		t.Error("an outage before any read gave keys")
	}
}

func TestKeyringWaitsAfterAFailedFirstRead(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	reads := 0
	r := device.NewKeyring(func(context.Context) (string, error) {
		reads++
		return "", errors.New("access denied")
	}, func() time.Time { return now })
	for range 3 {
		if _, err := r.Keys(context.Background()); err == nil {
			t.Fatal("keys without a read")
		}
	}
	if reads != 1 {
		t.Errorf("%d reads within the retry wait, want 1", reads)
	}
	now = now.Add(31 * time.Second)
	_, _ = r.Keys(context.Background())
	if reads != 2 {
		t.Errorf("%d reads after the wait, want 2", reads)
	}
}
