package vat

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

//go:embed formats.txt
var formats string

// structures maps a VIES country code to its national part's patterns.
var structures = sync.OnceValue(func() map[string][]*regexp.Regexp {
	out := map[string][]*regexp.Regexp{}
	for line := range strings.Lines(formats) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, s := range f[1:] {
			out[f[0]] = append(out[f[0]], compile(s))
		}
	}
	return out
})

// compile turns a structure in the table's notation into a regexp.
func compile(structure string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range structure {
		switch r {
		case '9':
			b.WriteString("[0-9]")
		case 'X':
			b.WriteString("[0-9A-Z]")
		case 'S':
			b.WriteString(`[0-9A-Z+*]`)
		case 'L':
			b.WriteString("[A-Z]")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Normalize returns a VAT number as VIES takes it: upper case, without the
// spaces (anywhere, of any kind but control characters), dots and hyphens
// people write into it.
func Normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '.' || r == '-' || unicode.IsSpace(r) && !unicode.IsControl(r):
			// Control characters stay: the field's own check refuses them.
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// Split returns a normalised number's VIES country code and national part.
func Split(number string) (country, national string) {
	if len(number) < 2 {
		return "", number
	}
	return number[:2], number[2:]
}

// MemberStates lists the VIES country codes, sorted.
func MemberStates() []string {
	var out []string
	for c := range structures() {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Problem checks a normalised number's structure and returns a field code
// and message, or "" when it has its member state's structure.
func Problem(number string) (code, message string) {
	country, national := Split(number)
	pats, ok := structures()[country]
	switch {
	case country == "GR":
		return "invalid_vat_number", "Greek VAT numbers start with EL."
	case !ok:
		return "invalid_vat_number", "A VAT number starts with its EU member state's prefix, such as DE (or XI for Northern Ireland)."
	}
	for _, p := range pats {
		if p.MatchString(national) {
			return "", ""
		}
	}
	return "invalid_vat_number", fmt.Sprintf("This is not the structure of a VAT number of %s.", country)
}
