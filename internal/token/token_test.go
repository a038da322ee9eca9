package token_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/testenv/entropy"
	"github.com/openreg/registration/internal/token"
)

var base64url43 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// newToken makes a token from random and fails the test on error.
func newToken(t *testing.T, random io.Reader) (plain, digest string) {
	t.Helper()
	plain, digest, err := token.NewGenerator(random).New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return plain, digest
}

func TestNewWithAFixedReader(t *testing.T) {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	// 0xfb 0xef 0xbe is 62,62,62,62 in 6-bit groups and 0xff 0xff ends in
	// 63s: the two characters where base64url differs from base64.
	urlChars := append(bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 10), 0xff, 0xff)

	tests := []struct {
		name       string
		random     []byte
		wantPlain  string
		wantDigest string
	}{
		{
			"bytes 0 to 31 give the known token and digest",
			seq,
			"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
			"ea866a757e4c38babfa8127cbe9a409d3e1f93a00ff1488ff735fcf917afffd0",
		},
		{
			"bytes 62 and 63 are written with the URL alphabet without padding",
			urlChars,
			"----------------------------------------__8",
			"bf18f3b879edb592f27abbf21d238c6f5bbfdf3251ca4155b0867ed179bf8255",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, digest := newToken(t, bytes.NewReader(tt.random))
			if plain != tt.wantPlain {
				t.Errorf("plain = %q, want %q", plain, tt.wantPlain)
			}
			if digest != tt.wantDigest {
				t.Errorf("digest = %q, want %q", digest, tt.wantDigest)
			}
		})
	}
}

func TestNewReadsExactly32Bytes(t *testing.T) {
	r := bytes.NewReader(make([]byte, 100))
	newToken(t, r)
	if got, want := r.Len(), 100-token.Bytes; got != want {
		t.Errorf("bytes left in reader = %d, want %d", got, want)
	}
}

func TestNewTokensAreWellFormedAndDistinct(t *testing.T) {
	g := token.NewGenerator(rand.Reader)
	seen := map[string]bool{}
	for range 200 {
		plain, digest, err := g.New()
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if !base64url43.MatchString(plain) {
			t.Fatalf("token %q is not 43 base64url characters", plain)
		}
		if !token.WellFormed(plain) {
			t.Fatalf("WellFormed(%q) = false for a generated token", plain)
		}
		if digest != token.Digest(plain) {
			t.Fatalf("digest %q != Digest(plain) %q", digest, token.Digest(plain))
		}
		if seen[plain] {
			t.Fatalf("token %q generated twice", plain)
		}
		seen[plain] = true
	}
}

func TestNewReportsAFailingReader(t *testing.T) {
	for _, tt := range entropy.Shorts(32) {
		t.Run(tt.Name, func(t *testing.T) {
			plain, digest, err := token.NewGenerator(tt.Reader).New()
			if !errors.Is(err, tt.Err) {
				t.Errorf("error = %v, want one wrapping %v", err, tt.Err)
			}
			if plain != "" || digest != "" {
				t.Errorf("New = %q, %q along with an error, want empty strings", plain, digest)
			}
		})
	}
}

func TestWellFormed(t *testing.T) {
	good := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"a generated token is well-formed", good, true},
		{"a token using '-' and '_' is well-formed", "----------------------------------------__8", true},
		{"the empty string is refused", "", false},
		{"one character short is refused", good[:42], false},
		{"one character long is refused", good + "A", false},
		{"a padded token is refused", good + "=", false},
		{"padding in place of the last character is refused", good[:42] + "=", false},
		{"the standard alphabet's '+' is refused", good[:42] + "+", false},
		{"the standard alphabet's '/' is refused", "/" + good[1:], false},
		{"a dot is refused", good[:20] + "." + good[21:], false},
		{"a space is refused", good[:20] + " " + good[21:], false},
		{"a newline the decoder would skip is refused", good[:42] + "\n", false},
		{"a carriage return in the middle is refused", good[:20] + "\r" + good[21:], false},
		{"a non-ASCII letter is refused", good[:41] + "é", false},
		{"a NUL byte is refused", good[:42] + "\x00", false},
		{"a hex digest is refused", token.Digest(good), false},
		{"43 spaces are refused", strings.Repeat(" ", 43), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := token.WellFormed(tt.s); got != tt.want {
				t.Errorf("WellFormed(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	tests := []struct {
		name  string
		plain string
		want  string
	}{
		{"the digest of the empty string is the SHA-256 of nothing", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"the digest of abc is the FIPS 180-2 test vector", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"the digest of a token hashes its text, not its decoded bytes", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "ea866a757e4c38babfa8127cbe9a409d3e1f93a00ff1488ff735fcf917afffd0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := token.Digest(tt.plain)
			if got != tt.want {
				t.Errorf("Digest(%q) = %q, want %q", tt.plain, got, tt.want)
			}
			if !hex64.MatchString(got) {
				t.Errorf("Digest(%q) = %q, want 64 lower-case hex digits", tt.plain, got)
			}
		})
	}

	t.Run("tokens differing in one character have different digests", func(t *testing.T) {
		if a, b := token.Digest("token-a"), token.Digest("token-b"); a == b {
			t.Errorf("Digest collided: %q", a)
		}
	})
}
