// Package geo knows the world's countries (ISO 3166-1 alpha-2) and their
// subdivisions (ISO 3166-2: states, provinces, regions), from a maintained
// source: the iso-codes project's data as pycountry ships it, refreshed by
// make iso3166 (iso3166.txt names the release and the day). Nothing here is
// typed from memory.
package geo

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed iso3166.txt
var data string

// table maps a country to its subdivisions (a nil map for a country
// without any); built on first use, so a function that never checks an
// address never pays for it.
var table = sync.OnceValue(func() map[string]map[string]bool {
	t := map[string]map[string]bool{}
	for line := range strings.Lines(data) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var subs map[string]bool
		if len(f) > 1 {
			subs = make(map[string]bool, len(f)-1)
			for _, s := range f[1:] {
				subs[s] = true
			}
		}
		t[f[0]] = subs
	}
	return t
})

// Country reports whether code is an ISO 3166-1 alpha-2 country code
// (upper case, as stored).
func Country(code string) bool {
	_, ok := table()[code]
	return ok
}

// HasSubdivisions reports whether country has ISO 3166-2 subdivisions.
func HasSubdivisions(country string) bool { return len(table()[country]) > 0 }

// Subdivision returns the ISO 3166-2 code ("DE-BY") of a subdivision of
// country given in full or by its part after the hyphen ("BY"), in any
// case, and whether it is one of that country's.
func Subdivision(country, code string) (string, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if !strings.HasPrefix(code, country+"-") {
		code = country + "-" + code
	}
	subs := table()[country]
	if !subs[code] {
		return "", false
	}
	return code, true
}
