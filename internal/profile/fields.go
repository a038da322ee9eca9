package profile

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones are validated against the IANA database, which a Lambda image may lack
	"unicode/utf8"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/vat"
)

// fieldRule bounds one profile field.
type fieldRule struct {
	max   int
	check func(v string, now time.Time) (code, message string)
	// name marks a person's name, which must match the store's
	// NamePattern as a whole.
	name bool
}

var (
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
	phonePattern   = regexp.MustCompile(`^\+?[0-9 ()./-]{3,30}$`)
	vatPattern     = regexp.MustCompile(`^[A-Z]{2}[A-Za-z0-9+*.]{2,13}$`)
)

// Genders are the values the gender field accepts: the seed system's M and F,
// plus X for customers who choose neither.
var Genders = []string{"M", "F", "X"}

var fieldRules = map[string]fieldRule{
	settings.FirstName:      {max: 100, name: true},
	settings.LastName:       {max: 100, name: true},
	settings.Company:        {max: 200},
	settings.StreetAddress:  {max: 200},
	settings.StreetAddress2: {max: 200},
	settings.ZipPostalCode:  {max: 20},
	settings.City:           {max: 100},
	settings.County:         {max: 100},
	settings.StateProvince:  {max: 100},
	settings.Gender: {max: 1, check: func(v string, _ time.Time) (string, string) {
		for _, g := range Genders {
			if v == g {
				return "", ""
			}
		}
		return "invalid_value", "Gender must be one of M, F, X."
	}},
	settings.DateOfBirth: {max: 10, check: func(v string, now time.Time) (string, string) {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return "invalid_date", "Date of birth must be a date in the form YYYY-MM-DD."
		}
		if d.After(now) || d.Year() < 1900 {
			return "out_of_range", "Date of birth must be between 1900-01-01 and today."
		}
		return "", ""
	}},
	settings.CountryCode: {max: 2, check: func(v string, _ time.Time) (string, string) {
		if !countryPattern.MatchString(v) {
			return "invalid_country", "Country must be an ISO 3166-1 alpha-2 code such as DE."
		}
		return "", ""
	}},
	settings.Phone: {max: 30, check: phoneCheck},
	settings.Fax:   {max: 30, check: phoneCheck},
	settings.TimeZone: {max: 64, check: func(v string, _ time.Time) (string, string) {
		if _, err := time.LoadLocation(v); err != nil || v == "Local" {
			return "invalid_time_zone", "Time zone must be an IANA name such as Europe/Berlin."
		}
		return "", ""
	}},
	settings.VatNumber: {max: 15, check: func(v string, _ time.Time) (string, string) {
		if !vatPattern.MatchString(v) {
			return "invalid_vat_number", "VAT number must start with a two-letter country prefix."
		}
		return "", ""
	}},
}

func phoneCheck(v string, _ time.Time) (string, string) {
	if !phonePattern.MatchString(v) {
		return "invalid_phone", "Phone numbers may contain digits, spaces and + ( ) . / -."
	}
	return "", ""
}

// maxAttributeLength bounds a text attribute.
const maxAttributeLength = 500

// controlMessage explains a control_character problem (customer.HasControl).
const controlMessage = "Text must not contain control characters, invisible formatting characters or text-direction overrides."

// wholeMatch reports whether re matches all of s, so that a store's
// NamePattern written without ^ and $ still judges the whole name rather
// than finding an acceptable piece of it. (With leftmost-first matching an
// unanchored alternation can miss a whole match and refuse; it can never
// accept a name it does not match whole.)
func wholeMatch(re *regexp.Regexp, s string) bool {
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Check checks a customer's profile fields, attributes and
// newsletter choices under the store's settings: the rules of registration,
// which an update in My account follows too. It returns the cleaned values,
// or a validation error listing every problem at once.
func Check(cfg settings.Settings, now time.Time, p customer.Profile, attrs map[string]string, newsletters []string) (customer.Profile, map[string]string, []string, error) {
	var f apperr.Fields
	profile, attributes := CheckFields(cfg, now, &f, p, attrs)
	list := CheckNewsletters(cfg, &f, newsletters)
	if err := f.Err(); err != nil {
		return customer.Profile{}, nil, nil, err
	}
	return profile, attributes, list, nil
}

// CheckFields checks the profile fields and custom attributes, adding
// every problem to f, and returns the cleaned values.
func CheckFields(cfg settings.Settings, now time.Time, f *apperr.Fields, p customer.Profile, attrs map[string]string) (customer.Profile, map[string]string) {
	profile := p
	if cfg.Vat.EUVat {
		// People write spaces, dots and hyphens into VAT numbers.
		profile.VatNumber = vat.Normalize(profile.VatNumber)
	}
	for _, name := range settings.ProfileFields {
		p := profile.ByName(name)
		*p = strings.TrimSpace(*p)
		v := *p
		setting := cfg.Field(name)
		rule := fieldRules[name]
		switch {
		case v == "" && setting.Required:
			f.Add(name, "required", fmt.Sprintf("%s is required.", name))
		case v == "":
		case !setting.Enabled:
			f.Add(name, "not_enabled", fmt.Sprintf("This store does not collect %s.", name))
		case customer.HasControl(v):
			f.Add(name, "control_character", controlMessage)
		case utf8.RuneCountInString(v) > rule.max:
			f.Add(name, "too_long", fmt.Sprintf("%s must have at most %d characters.", name, rule.max))
		case rule.name && !wholeMatch(cfg.NameRegexp(), customer.Canonical(v)):
			f.Add(name, "invalid_name", fmt.Sprintf("%s may contain only letters, spaces, apostrophes, hyphens and dots, and must start with a letter.", name))
		case rule.check != nil:
			if code, msg := rule.check(v, now); code != "" {
				f.Add(name, code, msg)
			}
		}
	}

	checkRegion(cfg, f, &profile)
	checkVat(cfg, f, &profile)

	attributes := map[string]string{}
	known := map[string]settings.Attribute{}
	for _, a := range cfg.Attributes {
		known[a.ID] = a
	}
	for _, id := range slices.Sorted(maps.Keys(attrs)) {
		v := strings.TrimSpace(attrs[id])
		a, ok := known[id]
		field := "attributes." + id
		switch {
		case !ok:
			f.Add(field, "unknown_attribute", "This store has no such attribute.")
		case customer.HasControl(v):
			f.Add(field, "control_character", controlMessage)
		case a.Type == settings.AttributeText && utf8.RuneCountInString(v) > maxAttributeLength:
			f.Add(field, "too_long", fmt.Sprintf("Attribute must have at most %d characters.", maxAttributeLength))
		case a.Type == settings.AttributeCheckbox && v != "true" && v != "false":
			f.Add(field, "invalid_value", "A checkbox attribute is true or false.")
		case a.Type == settings.AttributeDropdown && v != "" && !contains(a.Values, v):
			f.Add(field, "invalid_value", "Choose one of: "+strings.Join(a.Values, ", ")+".")
		default:
			if v != "" {
				attributes[id] = v
			}
		}
	}
	for _, a := range cfg.Attributes {
		v, given := attributes[a.ID]
		missing := !given || a.Type == settings.AttributeCheckbox && v != "true"
		if a.Required && missing && !f.Has("attributes."+a.ID) {
			f.Add("attributes."+a.ID, "required", fmt.Sprintf("%s is required.", a.Name))
		}
	}

	return profile, attributes
}

// CheckNewsletters checks newsletter choices, adding every problem to f:
// known types, each once.
func CheckNewsletters(cfg settings.Settings, f *apperr.Fields, list []string) []string {
	var out []string
	newsletters := map[string]bool{}
	for _, n := range cfg.Newsletters {
		newsletters[n.ID] = true
	}
	picked := map[string]bool{}
	for i, id := range list {
		field := fmt.Sprintf("newsletters[%d]", i)
		switch {
		case !newsletters[id]:
			f.Add(field, "unknown_newsletter", "This store has no such newsletter.")
		case picked[id]:
			f.Add(field, "duplicate", "Each newsletter may be listed once.")
		default:
			picked[id] = true
			out = append(out, id)
		}
	}

	return out
}
