package legacy_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/password/legacy"
)

type vector struct {
	legacy.Input
	Password string `json:"password"`
	Source   string `json:"source"`
}

func vectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestVectors: every format verifies what its platform made, refuses a
// wrong password, and a fast format's digest of the password is the hash.
func TestVectors(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range vectors(t) {
		seen[v.Format] = true
		t.Run(v.Format+" from "+v.Source, func(t *testing.T) {
			h, err := legacy.Parse(v.Input)
			if err != nil {
				t.Fatalf("Parse(%+v): %v", v.Input, err)
			}
			if !h.Verify(v.Password) {
				t.Errorf("the password does not verify against %s", v.Value)
			}
			// (bcrypt reads 72 bytes: a wrong password differs before them.)
			if h.Verify("!"+v.Password) || h.Verify("") {
				t.Errorf("a wrong password verifies against %s", v.Value)
			}
			if h.Fast() && !strings.EqualFold(h.Digest(v.Password), h.Value()) {
				t.Errorf("Digest = %s, want the hash %s", h.Digest(v.Password), h.Value())
			}
			if !h.Fast() && h.Digest(v.Password) != "" {
				t.Error("a slow format gave a digest to wrap")
			}
		})
	}
	for _, f := range legacy.Formats {
		if !seen[f] {
			t.Errorf("no vector of %s", f)
		}
	}
}

func TestFast(t *testing.T) {
	for _, v := range vectors(t) {
		h, err := legacy.Parse(v.Input)
		if err != nil {
			t.Fatal(err)
		}
		slowPBKDF2 := strings.Contains(v.Value, "$600000$")
		argonMagento := v.Format == legacy.Magento2 && !strings.HasSuffix(v.Value, ":0") && !strings.HasSuffix(v.Value, ":1")
		expected := v.Format == legacy.PHPass || v.Format == legacy.NopCommerce || (v.Format == legacy.Magento2 && !argonMagento) ||
			(v.Format == legacy.PBKDF2SHA256 && !slowPBKDF2)
		if h.Fast() != expected {
			t.Errorf("%s %s: Fast() = %v, want %v", v.Format, v.Value, h.Fast(), expected)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   legacy.Input
		want string
	}{
		{"a format nobody named", legacy.Input{Format: "md5", Value: "5f4dcc3b5aa765d61d8327deb882cf99"}, "unknown_hash_format"},
		{"an unsalted Magento MD5", legacy.Input{Format: "magento2", Value: "5f4dcc3b5aa765d61d8327deb882cf99::0"}, "weak_hash_format"},
		{"an unsalted nopCommerce SHA-1", legacy.Input{Format: "nopcommerce", Value: "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}, "weak_hash_format"},
		{"a Magento version nobody wrote", legacy.Input{Format: "magento2", Value: "abcd:salt:9"}, "malformed_hash"},
		{"a Magento Argon2 with a salt under 16 bytes", legacy.Input{Format: "magento2", Value: "abcd:short:2"}, "malformed_hash"},
		{"a Magento Argon2 asking for a gigabyte", legacy.Input{Format: "magento2", Value: "abcd:HOiS51whl8VzfvZvGfw5AKa8gn7c3bEZ:3_32_2_1073741824"}, "malformed_hash"},
		{"a bcrypt cost of 31", legacy.Input{Format: "bcrypt", Value: "$2b$31$" + strings.Repeat("a", 53)}, "malformed_hash"},
		{"a bcrypt of another family", legacy.Input{Format: "bcrypt", Value: "$2x$10$" + strings.Repeat("a", 53)}, "malformed_hash"},
		{"a phpass of 2^30 rounds", legacy.Input{Format: "phpass", Value: "$P$S" + strings.Repeat("a", 30)}, "malformed_hash"},
		{"an argon2id of 4 GiB", legacy.Input{Format: "argon2id", Value: "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43)}, "malformed_hash"},
		{"an argon2i where argon2id was named", legacy.Input{Format: "argon2id", Value: "$argon2i$v=19$m=8192,t=2,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43)}, "malformed_hash"},
		{"a Django hash of another algorithm", legacy.Input{Format: "pbkdf2-sha256", Value: "pbkdf2_sha1$1000$salt$" + strings.Repeat("A", 44)}, "malformed_hash"},
		{"a salt beside a format that carries its own", legacy.Input{Format: "phpass", Value: "$P$B" + strings.Repeat("a", 30), Salt: "x"}, "malformed_hash"},
		{"a nopCommerce hash that is not hex", legacy.Input{Format: "nopcommerce", Value: strings.Repeat("Z", 40), Salt: "c2FsdA=="}, "malformed_hash"},
		{"a hash of 10 KB", legacy.Input{Format: "bcrypt", Value: strings.Repeat("a", 10000)}, "malformed_hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := legacy.Parse(tt.in)
			if got := legacy.Code(err); got != tt.want {
				t.Errorf("Parse(%+v) = %v, want %s", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzParse: Parse never panics, refuses with a stable code, and what it
// accepts verifies without panicking (a cheap password: the bounds keep
// every accepted cost finite).
func FuzzParse(f *testing.F) {
	for _, v := range vectors(f) {
		if !strings.Contains(v.Value, "600000") && !strings.Contains(v.Value, "argon") && !strings.HasSuffix(v.Value, ":2") && !strings.Contains(v.Value, ":3_") {
			f.Add(v.Format, v.Value, v.Salt)
		}
	}
	f.Fuzz(func(t *testing.T, format, value, salt string) {
		h, err := legacy.Parse(legacy.Input{Format: format, Value: value, Salt: salt})
		if err != nil {
			if legacy.Code(err) == "" {
				t.Fatalf("Parse refused with no stable code: %v", err)
			}
			return
		}
		if h.Format != format {
			t.Errorf("Format = %q, want %q", h.Format, format)
		}
		if strings.Contains(value, "argon") || strings.Contains(value, ":2") || strings.Contains(value, ":3_") {
			return // accepted argon2 costs are bounded, but too slow for a fuzz loop
		}
		if strings.HasPrefix(value, "pbkdf2") || strings.Contains(value, "$2") {
			return // likewise PBKDF2's and bcrypt's
		}
		_ = h.Verify("fuzz")
	})
}

// TestParams: a fast hash rebuilt from its Params digests a password as
// the hash itself does, so a wrap needs nothing else.
func TestParams(t *testing.T) {
	for _, v := range vectors(t) {
		h, err := legacy.Parse(v.Input)
		if err != nil || !h.Fast() {
			if h.Params() != "" {
				t.Errorf("%s: a slow format has params %q", v.Format, h.Params())
			}
			continue
		}
		p, err := legacy.FromParams(v.Format, h.Params())
		if err != nil {
			t.Fatalf("%s FromParams(%q): %v", v.Format, h.Params(), err)
		}
		if got := p.Digest(v.Password); !strings.EqualFold(got, h.Value()) {
			t.Errorf("%s from params digests %s, want %s", v.Format, got, h.Value())
		}
		if strings.Contains(h.Params(), strings.ToLower(h.Value())) || strings.Contains(h.Params(), h.Value()) {
			t.Errorf("%s params %q carry the hash", v.Format, h.Params())
		}
	}
}
