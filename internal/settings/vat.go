package settings

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
