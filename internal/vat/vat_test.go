package vat_test

import (
	"testing"

	"github.com/openreg/registration/internal/vat"
)

func TestStructures(t *testing.T) {
	valid := []string{
		"ATU12345678", "BE0123456789", "BE1123456789", "BG123456789", "BG1234567890", "CY12345678X", "CZ12345678",
		"CZ1234567890", "DE123456789", "DK12345678", "EE123456789", "EL123456789", "ESA1234567B", "ESX1234567Z",
		"ES12345678Z", "ESA12345678", "FI12345678", "FR12345678901", "FRXX123456789", "HR12345678901", "HU12345678",
		"IE1234567T", "IE1A23456T", "IE1234567WA", "IT12345678901", "LT123456789", "LT123456789012", "LU12345678",
		"LV12345678901", "MT12345678", "NL123456789B01", "PL1234567890", "PT123456789", "RO12", "RO1234567890",
		"SE123456789012", "SI12345678", "SK1234567890", "XI123456789", "XIGD123", "XIHA123",
	}
	for _, n := range valid {
		t.Run(n+" has its member state's structure", func(t *testing.T) {
			if code, msg := vat.Problem(n); code != "" {
				t.Fatalf("Problem(%s) = %s: %s", n, code, msg)
			}
		})
	}
	invalid := []struct{ name, number string }{
		{"an Austrian number without its U", "AT12345678"},
		{"a Belgian number starting with 2", "BE2123456789"},
		{"a German number one digit short", "DE12345678"},
		{"a German number with a letter", "DE12345678A"},
		{"a Spanish number of nine digits (both ends digits)", "ES123456789"},
		{"a Dutch number without its B", "NL123456789001"},
		{"a Greek number with the ISO prefix", "GR123456789"},
		{"a British number (not in VIES since 2021)", "GB123456789"},
		{"a Romanian number of one digit", "RO1"},
		{"a Swedish number of ten digits", "SE1234567890"},
		{"no prefix", "123456789"},
		{"nothing", ""},
	}
	for _, tt := range invalid {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			if code, _ := vat.Problem(tt.number); code != "invalid_vat_number" {
				t.Fatalf("Problem(%q) = %q", tt.number, code)
			}
		})
	}
	if n := len(vat.MemberStates()); n != 28 {
		t.Errorf("%d VIES countries, want the 27 member states and XI", n)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{" de 123.456.789 ", "DE123456789"},
		{"DK 12 34 56 78", "DK12345678"},
		{"nl-123456789-b01", "NL123456789B01"},
	}
	for _, tt := range tests {
		if got := vat.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := vat.Normalize(vat.Normalize(tt.in)); got != tt.want {
			t.Errorf("Normalize is not idempotent on %q", tt.in)
		}
	}
}
