package geo_test

import (
	"strings"
	"testing"

	"github.com/openreg/registration/internal/geo"
)

// FuzzSubdivision: a subdivision that passes comes back in its canonical
// form, which passes again unchanged and names its own country.
func FuzzSubdivision(f *testing.F) {
	for _, s := range [][2]string{{"DE", "by"}, {"DE", "DE-BY"}, {"US", "US-CA"}, {"GB", "eng"}, {"VA", "01"}, {"", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, country, code string) {
		got, ok := geo.Subdivision(country, code)
		if !ok {
			return
		}
		if !geo.Country(country) || !strings.HasPrefix(got, country+"-") {
			t.Fatalf("Subdivision(%q, %q) = %q for a country that is not one", country, code, got)
		}
		if again, ok := geo.Subdivision(country, got); !ok || again != got {
			t.Fatalf("canonical %q came back as %q, %v", got, again, ok)
		}
	})
}
