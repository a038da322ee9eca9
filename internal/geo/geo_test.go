package geo_test

import (
	"testing"

	"github.com/openreg/registration/internal/geo"
)

func TestCountries(t *testing.T) {
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"Germany is a country", "DE", true},
		{"Åland, a territory with its own code, is one", "AX", true},
		{"a lower-case code is not (codes are stored upper case)", "de", false},
		{"the EU's VAT prefix for Greece is not a country code", "EL", false},
		{"a withdrawn code is not (Yugoslavia)", "YU", false},
		{"an alpha-3 code is not", "DEU", false},
		{"nothing is not", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := geo.Country(tt.code); got != tt.want {
				t.Fatalf("Country(%q) = %v", tt.code, got)
			}
		})
	}
	if n := countries(); n < 240 || n > 260 {
		t.Errorf("%d countries; ISO 3166-1 has 249", n)
	}
}

func countries() int {
	n := 0
	for _, a := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		for _, b := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
			if geo.Country(string(a) + string(b)) {
				n++
			}
		}
	}
	return n
}

func TestSubdivisions(t *testing.T) {
	tests := []struct {
		name, country, code, want string
		ok                        bool
	}{
		{"a full code is its own canonical form", "DE", "DE-BY", "DE-BY", true},
		{"the part after the hyphen is accepted", "DE", "by", "DE-BY", true},
		{"a US state", "US", "CA", "US-CA", true},
		{"a subdivision of another country is refused", "DE", "US-CA", "", false},
		{"a code the country does not have is refused", "AT", "BY", "", false},
		{"a country without subdivisions has none to give", "VA", "01", "", false},
		{"an empty code is refused", "DE", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := geo.Subdivision(tt.country, tt.code)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Subdivision(%q, %q) = %q, %v; want %q, %v", tt.country, tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}
	if !geo.HasSubdivisions("DE") || geo.HasSubdivisions("VA") {
		t.Error("HasSubdivisions: Germany has states, the Vatican none")
	}
}
