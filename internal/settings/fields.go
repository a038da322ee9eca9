package settings

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Field is whether a profile field is shown and whether it must be filled.
type Field struct {
	Enabled  bool `json:"enabled"`
	Required bool `json:"required"`
}

// Profile field names, as they appear in the register request.
const (
	FirstName      = "firstName"
	LastName       = "lastName"
	Gender         = "gender"
	DateOfBirth    = "dateOfBirth"
	Company        = "company"
	StreetAddress  = "streetAddress"
	StreetAddress2 = "streetAddress2"
	ZipPostalCode  = "zipPostalCode"
	City           = "city"
	County         = "county"
	CountryCode    = "countryCode"
	StateProvince  = "stateProvince"
	Phone          = "phone"
	Fax            = "fax"
	TimeZone       = "timeZone"
	VatNumber      = "vatNumber"
)

// ProfileFields lists every optional profile field in form order.
var ProfileFields = []string{
	FirstName, LastName, Gender, DateOfBirth, Company, StreetAddress, StreetAddress2, ZipPostalCode,
	City, County, CountryCode, StateProvince, Phone, Fax, TimeZone, VatNumber,
}

// AddressFieldNames are the profile fields an address is made of.
var AddressFieldNames = []string{
	FirstName, LastName, Company, StreetAddress, StreetAddress2, ZipPostalCode, City, County, CountryCode,
	StateProvince, Phone, Fax,
}

// DefaultNamePattern admits letters, combining marks, spaces, apostrophes,
// hyphens and dots: every script's names, and no digits, punctuation or
// symbols to phrase a message with.
const DefaultNamePattern = `^[\p{L}\p{M}][\p{L}\p{M} '’.\-]*$`

var namePatterns sync.Map // pattern text -> *regexp.Regexp

// NameRegexp returns the compiled NamePattern (Validate has checked it
// compiles; an uncompilable one matches nothing).
func (s Settings) NameRegexp() *regexp.Regexp {
	if re, ok := namePatterns.Load(s.NamePattern); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(s.NamePattern)
	if err != nil {
		re = regexp.MustCompile(`^\b\B$`) // matches nothing
	}
	namePatterns.Store(s.NamePattern, re)
	return re
}

// Field returns the setting of a profile field (disabled when unset).
func (s Settings) Field(name string) Field { return s.Fields[name] }

// validateFields checks the profile fields, the fields of an address and
// the name pattern.
func (s Settings) validateFields(p *problems) {
	for name, f := range s.Fields {
		if !slices.Contains(ProfileFields, name) {
			p.bad("fields."+name, "is not a profile field (known: %s)", strings.Join(ProfileFields, ", "))
		}
		if f.Required && !f.Enabled {
			p.bad("fields."+name, "cannot be required while disabled")
		}
	}
	if s.Fields[StateProvince].Enabled && !s.Fields[CountryCode].Enabled {
		p.bad("fields.stateProvince", "needs countryCode enabled")
	}
	for i, name := range s.AddressFields {
		if !slices.Contains(AddressFieldNames, name) || slices.Index(s.AddressFields, name) != i {
			p.bad(fmt.Sprintf("addressFields[%d]", i), "must be one of %s, each once; got %q", strings.Join(AddressFieldNames, ", "), name)
		}
	}
	p.pattern("namePattern", s.NamePattern)
}
