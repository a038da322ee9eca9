package settings

import "regexp"

// Guests are shoppers without an account.
type Guests struct {
	// Lifetime is how long a guest lasts without being seen.
	Lifetime Duration `json:"lifetime"`
}

// Cart bounds carts and says how a guest's joins a customer's.
type Cart struct {
	MaxQuantity int    `json:"maxQuantity"`
	MaxLines    int    `json:"maxLines"`
	SKUPattern  string `json:"skuPattern"`
	// MergeStrategy is sum (capped at MaxQuantity), max, replace or
	// keep-customer.
	MergeStrategy string `json:"mergeStrategy"`
}

// SKURegexp is the compiled SKU pattern (valid after Validate), matched
// against the whole SKU.
func (c Cart) SKURegexp() *regexp.Regexp {
	return regexp.MustCompile(`^(?:` + c.SKUPattern + `)$`)
}
