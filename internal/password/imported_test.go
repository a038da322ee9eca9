package password_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/password/legacy"
)

// TestImportedHashes: every imported format is stored so that its
// password signs in (once, asking for our own hash in its place), a wrong
// one does not, and a fast hash is never kept as it came.
func TestImportedHashes(t *testing.T) {
	b, err := os.ReadFile("legacy/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		legacy.Input
		Password string `json:"password"`
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	h := newHasher(t, cheap)
	for _, v := range vectors {
		stored, err := h.Import(v.Input)
		if err != nil {
			t.Fatalf("Import(%+v): %v", v.Input, err)
		}
		parsed, _ := legacy.Parse(v.Input)
		if parsed.Fast() && (strings.Contains(stored, v.Value) || strings.Contains(strings.ToUpper(stored), strings.ToUpper(parsed.Value()))) {
			t.Errorf("%s: the fast hash is kept at rest in %s", v.Format, stored)
		}
		ok, rehash, err := h.Check(v.Password, stored)
		if err != nil || !ok || !rehash {
			t.Errorf("%s %s: Check = %v, rehash %v, %v; want a match to rehash", v.Format, stored, ok, rehash, err)
		}
		if ok, _, _ := h.Check("!"+v.Password, stored); ok {
			t.Errorf("%s: a wrong password matched %s", v.Format, stored)
		}
	}
	if _, err := h.Import(legacy.Input{Format: "magento2", Value: "5f4dcc3b5aa765d61d8327deb882cf99::0"}); legacy.Code(err) != "weak_hash_format" {
		t.Errorf("an unsalted MD5 was imported: %v", err)
	}
	for _, broken := range []string{"$legacy$bcrypt$$!!", "$wrap$phpass$AAAA$argon2id$v=19$x", "$wrap$nopcommerce"} {
		if ok, _, err := h.Check("x", broken); ok || err == nil {
			t.Errorf("Check(%q) = %v, %v; want no match and ErrMalformedHash", broken, ok, err)
		}
	}
}
