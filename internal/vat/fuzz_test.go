package vat_test

import (
	"testing"

	"github.com/openreg/registration/internal/vat"
)

// FuzzNormalize: normalising is idempotent, a number that passes has an EU
// prefix and nothing but letters, digits, "+" and "*", and checking any
// text never panics.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"DE 123 456 789", "nl-123456789-b01", "IE1+23456T", "gr123456789", "ÄT U1234567", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := vat.Normalize(s)
		if vat.Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q, and again %q", s, n, vat.Normalize(n))
		}
		if code, _ := vat.Problem(n); code != "" {
			return
		}
		for _, r := range n {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '*') {
				t.Fatalf("%q passed with %q in it", n, r)
			}
		}
	})
}
