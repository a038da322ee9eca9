package profile

import (
	"io"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/geo"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/vat"
)

// A registration's address fields become the customer's first address, and
// its default billing and shipping address, when they make a complete one:
// every field the settings' addressFields name is enabled and filled, and,
// where the store asks for a state or province and the country has them,
// that too. An incomplete address is no error: the fields stay on the
// profile, and no address is stored.

// complete reports whether the (validated) profile makes a complete
// address under cfg.
func complete(cfg settings.Settings, p customer.Profile) bool {
	if len(cfg.AddressFields) == 0 {
		return false
	}
	for _, name := range cfg.AddressFields {
		if !cfg.Field(name).Enabled || *p.ByName(name) == "" {
			return false
		}
	}
	if cfg.Field(settings.StateProvince).Enabled && geo.HasSubdivisions(p.CountryCode) && p.StateProvince == "" {
		return false
	}
	return true
}

// DefaultAddress is the address a (validated) profile makes, with a new id,
// or nil when it makes no complete one.
func DefaultAddress(cfg settings.Settings, email string, p customer.Profile, now time.Time, random io.Reader) (*customer.Address, error) {
	if !complete(cfg, p) {
		return nil, nil
	}
	a := customer.AddressOf(email, p, now)
	id, err := customer.NewID(random)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, "Could not store the address.", err)
	}
	a.ID = id
	return &a, nil
}

// checkRegion checks the country and the state or province: an ISO 3166-1
// alpha-2 country, and a subdivision of that country (stored as its ISO
// 3166-2 code, "DE-BY", whether given so or as "BY"). Run after the
// fields' own checks, on trimmed values.
func checkRegion(cfg settings.Settings, f *apperr.Fields, p *customer.Profile) {
	if p.CountryCode != "" && !f.Has(settings.CountryCode) && !geo.Country(p.CountryCode) {
		f.Add(settings.CountryCode, "invalid_country", "Country must be an ISO 3166-1 alpha-2 code such as DE.")
	}
	if p.StateProvince == "" || f.Has(settings.StateProvince) || !cfg.Field(settings.StateProvince).Enabled {
		return
	}
	switch code, ok := geo.Subdivision(p.CountryCode, p.StateProvince); {
	case p.CountryCode == "":
		f.Add(settings.StateProvince, "country_required", "A state or province needs its country.")
	case f.Has(settings.CountryCode):
	case !ok:
		f.Add(settings.StateProvince, "invalid_state_province", "State or province must be an ISO 3166-2 subdivision of the country, such as DE-BY.")
	default:
		p.StateProvince = code
	}
}

// checkVat checks the VAT number as an EU VAT number where the store asks
// for that: normalised (upper case, no spaces, dots or hyphens) and of its
// member state's structure. VIES is asked later, by a job (vat.StartCheck).
func checkVat(cfg settings.Settings, f *apperr.Fields, p *customer.Profile) {
	if !cfg.Vat.EUVat || p.VatNumber == "" || f.Has(settings.VatNumber) {
		return
	}
	n := vat.Normalize(p.VatNumber)
	if code, msg := vat.Problem(n); code != "" {
		f.Add(settings.VatNumber, code, msg)
		return
	}
	p.VatNumber = n
}
