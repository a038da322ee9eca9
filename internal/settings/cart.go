package settings

import (
	"regexp"
	"time"
)

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

// validate checks how long a guest lasts.
func (g Guests) validate(p *problems) {
	p.durationIn("guests.lifetime", g.Lifetime, 24*time.Hour, 365*24*time.Hour, "")
}

// validate checks the cart's bounds, SKU pattern and merge strategy.
func (c Cart) validate(p *problems) {
	p.intIn("cart.maxQuantity", c.MaxQuantity, 1, 10000)
	p.intIn("cart.maxLines", c.MaxLines, 1, 500)
	p.pattern("cart.skuPattern", c.SKUPattern)
	switch c.MergeStrategy {
	case "sum", "max", "replace", "keep-customer":
	default:
		p.bad("cart.mergeStrategy", "must be sum, max, replace or keep-customer, got %q", c.MergeStrategy)
	}
}
