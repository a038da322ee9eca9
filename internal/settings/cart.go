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
	if time.Duration(g.Lifetime) < 24*time.Hour || time.Duration(g.Lifetime) > 365*24*time.Hour {
		p.bad("guests.lifetime", "must be between 24h and 8760h, got %s", time.Duration(g.Lifetime))
	}
}

// validate checks the cart's bounds, SKU pattern and merge strategy.
func (c Cart) validate(p *problems) {
	if c.MaxQuantity < 1 || c.MaxQuantity > 10000 {
		p.bad("cart.maxQuantity", "must be between 1 and 10000, got %d", c.MaxQuantity)
	}
	if c.MaxLines < 1 || c.MaxLines > 500 {
		p.bad("cart.maxLines", "must be between 1 and 500, got %d", c.MaxLines)
	}
	if _, err := regexp.Compile(c.SKUPattern); err != nil || c.SKUPattern == "" {
		p.bad("cart.skuPattern", "must be a regular expression, got %q", c.SKUPattern)
	}
	switch c.MergeStrategy {
	case "sum", "max", "replace", "keep-customer":
	default:
		p.bad("cart.mergeStrategy", "must be sum, max, replace or keep-customer, got %q", c.MergeStrategy)
	}
}
