package customer_test

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/token"
)

func TestLinkTokens(t *testing.T) {
	gen := token.NewGenerator(rand.Reader)
	id := "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	plain, link, err := customer.MintLink(gen, id, time.Date(2030, 3, 14, 9, 0, 0, 0, time.UTC), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("a minted token names its customer and matches its stored digest", func(t *testing.T) {
		gotID, digest, ok := customer.ParseLinkToken(plain)
		if !ok || gotID != id || digest != link.Digest {
			t.Errorf("ParseLinkToken = %q %q %v, want %q %q true", gotID, digest, ok, id, link.Digest)
		}
	})
	t.Run("the stored half holds no part of the secret", func(t *testing.T) {
		_, secret, _ := strings.Cut(plain, ".")
		if strings.Contains(link.Digest, secret) {
			t.Error("the digest contains the secret")
		}
	})
	for _, bad := range []string{"", id, "." + strings.Repeat("a", 43), "not-a-uuid." + strings.Repeat("a", 43),
		id + "." + strings.Repeat("a", 42), id + ".." + strings.Repeat("a", 43)} {
		t.Run("refuses "+bad, func(t *testing.T) {
			if _, _, ok := customer.ParseLinkToken(bad); ok {
				t.Errorf("ParseLinkToken(%q) accepted", bad)
			}
		})
	}
}
