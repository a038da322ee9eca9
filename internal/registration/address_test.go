package registration_test

import (
	"context"
	"testing"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/vat"
)

// addressForm enables every address field; stateProvince as asked.
func addressForm(state bool) func(*settings.Settings) {
	return func(s *settings.Settings) {
		for _, f := range []string{settings.StreetAddress, settings.ZipPostalCode, settings.City, settings.CountryCode, settings.Phone} {
			s.Fields[f] = settings.Field{Enabled: true}
		}
		s.Fields[settings.StateProvince] = settings.Field{Enabled: state}
	}
}

func addressed(p customer.Profile) customer.Profile {
	p.StreetAddress, p.ZipPostalCode, p.City, p.CountryCode, p.Phone = "Unter den Linden 1", "10117", "Berlin", "DE", "+49 30 123456"
	return p
}

func TestDefaultAddress(t *testing.T) {
	base := validRequest().Profile
	tests := []struct {
		name    string
		opts    []func(*settings.Settings)
		profile customer.Profile
		// want is the stored address's state ("" with an address without
		// one); none means no address is stored.
		none      bool
		wantState string
	}{
		{name: "a complete address becomes the first, billing and shipping address", opts: []func(*settings.Settings){addressForm(false)},
			profile: addressed(base)},
		{name: "an address missing a field the settings name is not stored", opts: []func(*settings.Settings){addressForm(false)},
			profile: func() customer.Profile { p := addressed(base); p.Phone = ""; return p }(), none: true},
		{name: "an address is never complete while a field it needs is disabled",
			opts:    []func(*settings.Settings){addressForm(false), func(s *settings.Settings) { s.Fields[settings.Phone] = settings.Field{} }},
			profile: func() customer.Profile { p := addressed(base); p.Phone = ""; return p }(), none: true},
		{name: "where states are asked for, a German address needs its state", opts: []func(*settings.Settings){addressForm(true)},
			profile: addressed(base), none: true},
		{name: "a state given by its short code is stored as its ISO 3166-2 code", opts: []func(*settings.Settings){addressForm(true)},
			profile: func() customer.Profile { p := addressed(base); p.StateProvince = "be"; return p }(), wantState: "DE-BE"},
		{name: "a country without subdivisions needs no state", opts: []func(*settings.Settings){addressForm(true)},
			profile: func() customer.Profile { p := addressed(base); p.CountryCode = "VA"; return p }()},
		{name: "no address fields in the settings means no default address",
			opts:    []func(*settings.Settings){addressForm(false), func(s *settings.Settings) { s.AddressFields = nil }},
			profile: addressed(base), none: true},
	}
	for _, registrationType := range []settings.RegistrationType{settings.EmailValidation, settings.Standard} {
		for _, tt := range tests {
			t.Run(string(registrationType)+": "+tt.name, func(t *testing.T) {
				opts := append([]func(*settings.Settings){func(s *settings.Settings) { s.RegistrationType = registrationType }}, tt.opts...)
				f := newFixture(t, opts...)
				req := validRequest()
				req.Profile = tt.profile
				f.register(t, req)
				c := f.onlyCustomer(t)
				if tt.none {
					if len(c.Addresses) != 0 || c.BillingAddressID != "" || c.ShippingAddressID != "" {
						t.Fatalf("addresses %+v, billing %q, shipping %q: want none", c.Addresses, c.BillingAddressID, c.ShippingAddressID)
					}
					return
				}
				if len(c.Addresses) != 1 {
					t.Fatalf("got %d addresses, want 1", len(c.Addresses))
				}
				a := c.Addresses[0]
				if a.ID == "" || c.BillingAddressID != a.ID || c.ShippingAddressID != a.ID {
					t.Errorf("address %q, billing %q, shipping %q: want one id for all three", a.ID, c.BillingAddressID, c.ShippingAddressID)
				}
				if a.FirstName != "Ada" || a.Email != "ada@example.com" || a.City != "Berlin" || a.CountryCode != tt.profile.CountryCode ||
					a.StateProvince != tt.wantState || !a.CreatedAt.Equal(now) {
					t.Errorf("address = %+v", a)
				}
				if c.Profile.StateProvince != tt.wantState {
					t.Errorf("profile state %q, want %q", c.Profile.StateProvince, tt.wantState)
				}
			})
		}
	}
}

func TestRegionChecks(t *testing.T) {
	tests := []struct {
		name, country, state string
		field, code          string
	}{
		{"a country that ISO 3166-1 does not have", "XX", "", "countryCode", "invalid_country"},
		{"a lower-case country", "de", "", "countryCode", "invalid_country"},
		{"a state of another country", "DE", "US-CA", "stateProvince", "invalid_state_province"},
		{"a state the country does not have", "AT", "BY", "stateProvince", "invalid_state_province"},
		{"a state without its country", "", "BY", "stateProvince", "country_required"},
		{"a state of a country without subdivisions", "VA", "01", "stateProvince", "invalid_state_province"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			f := newFixture(t, addressForm(true))
			req := validRequest()
			req.Profile.CountryCode, req.Profile.StateProvince = tt.country, tt.state
			_, err := f.svc.Register(context.Background(), req)
			e := wantCode(t, err, apperr.Validation)
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field || e.Fields[0].Code != tt.code {
				t.Fatalf("fields %+v, want %s %s", e.Fields, tt.field, tt.code)
			}
			f.nothingStored(t)
		})
	}
}

func TestVatNumber(t *testing.T) {
	euVat := func(s *settings.Settings) {
		s.Fields[settings.VatNumber] = settings.Field{Enabled: true}
		s.Vat.EUVat = true
	}
	t.Run("a number of the wrong structure is refused before anything is stored", func(t *testing.T) {
		for _, n := range []string{"DE12345678", "GR123456789", "US123456789"} {
			f := newFixture(t, euVat)
			req := validRequest()
			req.Profile.VatNumber = n
			_, err := f.svc.Register(context.Background(), req)
			e := wantCode(t, err, apperr.Validation)
			if len(e.Fields) != 1 || e.Fields[0].Field != "vatNumber" || e.Fields[0].Code != "invalid_vat_number" {
				t.Fatalf("%s: fields %+v", n, e.Fields)
			}
			f.nothingStored(t)
		}
	})
	for _, rt := range []settings.RegistrationType{settings.Standard, settings.EmailValidation} {
		t.Run(string(rt)+": a well-formed number is stored normalised, unknown until VIES answers, with its check job", func(t *testing.T) {
			f := newFixture(t, euVat, func(s *settings.Settings) { s.RegistrationType = rt })
			req := validRequest()
			req.Profile.VatNumber = "de 123.456.789"
			f.register(t, req)
			c := f.onlyCustomer(t)
			if c.Profile.VatNumber != "DE123456789" {
				t.Fatalf("number %q", c.Profile.VatNumber)
			}
			if rt == settings.Standard {
				if c.Vat == nil || c.Vat.Number != "DE123456789" || c.Vat.Status != customer.VatUnknown {
					t.Fatalf("check %+v", c.Vat)
				}
				jobs := 0
				for _, m := range f.store.Outbox {
					if j, ok := m.Content.(vat.CheckJob); ok && j.CustomerID == c.ID && j.Number == "DE123456789" {
						jobs++
					}
				}
				if jobs != 1 {
					t.Fatalf("%d check jobs in the outbox %+v", jobs, f.store.Outbox)
				}
			}
		})
	}
	t.Run("without the EU check a number is only shaped like one", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.Fields[settings.VatNumber] = settings.Field{Enabled: true} })
		req := validRequest()
		req.Profile.VatNumber = "CH123456789"
		f.register(t, req)
		if c := f.onlyCustomer(t); c.Vat != nil || c.Profile.VatNumber != "CH123456789" {
			t.Fatalf("customer %+v", c)
		}
	})
}

func TestVatNumberControlCharacters(t *testing.T) {
	f := newFixture(t, func(s *settings.Settings) {
		s.Fields[settings.VatNumber] = settings.Field{Enabled: true}
		s.Vat.EUVat = true
	})
	req := validRequest()
	req.Profile.VatNumber = "DE123\n456789"
	_, err := f.svc.Register(context.Background(), req)
	e := wantCode(t, err, apperr.Validation)
	if len(e.Fields) != 1 || e.Fields[0].Field != "vatNumber" || e.Fields[0].Code != "control_character" {
		t.Fatalf("fields %+v: a control character is refused, not stripped", e.Fields)
	}
}
