package settings

import (
	"time"
)

// Vat turns on the EU VAT number check: the number's structure per member
// state at registration, then VIES off the request path.
type Vat struct {
	// EUVat checks vatNumber as an EU VAT number (the field must be
	// enabled).
	EUVat bool `json:"euVat"`
	// ViesURL is the VIES REST API's base URL.
	ViesURL string `json:"viesUrl"`
	// Timeout bounds one VIES call.
	Timeout Duration `json:"timeout"`
	// NotifyStoreOwner mails the store owner each new VAT number with
	// what VIES said of it.
	NotifyStoreOwner bool `json:"notifyStoreOwner"`
}

// DefaultViesURL is the European Commission's VIES REST API.
const DefaultViesURL = "https://ec.europa.eu/taxation_customs/vies/rest-api"

// validateVat checks the VAT check: the field it reads, the owner address
// it notifies, VIES's URL and timeout.
func (s Settings) validateVat(p *problems) {
	v := s.Vat
	if v.EUVat && !s.Fields[VatNumber].Enabled {
		p.bad("vat.euVat", "needs fields.vatNumber enabled")
	}
	if v.NotifyStoreOwner && !plainAddress(s.StoreOwnerEmail) {
		p.bad("storeOwnerEmail", "must be a plain email address when vat.notifyStoreOwner is on, got %q", s.StoreOwnerEmail)
	}
	if u, ok := httpURL(v.ViesURL); !ok || u.RawQuery != "" {
		p.bad("vat.viesUrl", "must be an absolute http(s) URL without query, got %q", v.ViesURL)
	}
	p.durationIn("vat.timeout", v.Timeout, time.Second, 30*time.Second, "")
}
