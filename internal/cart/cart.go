package cart

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/openreg/registration/internal/apperr"
)

// Line is one cart line.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Rules bound a cart (from the settings).
type Rules struct {
	MaxQuantity int
	MaxLines    int
	SKU         *regexp.Regexp
}

// CheckLine returns a field problem for a line to set, or nil. Quantity 0
// is refused here: removing a line is its own request.
func (r Rules) CheckLine(sku string, quantity int) error {
	var f apperr.Fields
	if !r.SKU.MatchString(sku) {
		f.Add("sku", "invalid_sku", "This is not a SKU of this store.")
	}
	if quantity < 1 || quantity > r.MaxQuantity {
		f.Add("quantity", "out_of_range", fmt.Sprintf("Quantity must be a whole number from 1 to %d.", r.MaxQuantity))
	}
	return f.Err()
}

// TooManyLines is the problem of a cart at its line limit.
func (r Rules) TooManyLines() error {
	return apperr.Invalid([]apperr.FieldError{{Field: "sku", Code: "too_many_lines",
		Message: fmt.Sprintf("A cart holds at most %d lines.", r.MaxLines)}})
}

// Sorted returns lines in SKU order (the order carts are shown in).
func Sorted(lines []Line) []Line {
	out := slices.Clone(lines)
	slices.SortFunc(out, func(a, b Line) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// Strategy says how a guest's cart joins a customer's at sign-in.
type Strategy string

// Merge strategies.
const (
	// Sum adds the quantities of lines both carts have, up to the maximum.
	Sum Strategy = "sum"
	// Max keeps the larger quantity of lines both carts have.
	Max Strategy = "max"
	// Replace makes the guest's cart the customer's.
	Replace Strategy = "replace"
	// KeepCustomer keeps the customer's quantity of lines both carts have.
	KeepCustomer Strategy = "keep-customer"
)

// Strategies lists every strategy.
var Strategies = []Strategy{Sum, Max, Replace, KeepCustomer}

// Merged says what a merge did, for the customer.signed_in event.
type Merged struct {
	Strategy    Strategy `json:"strategy"`
	GuestLines  int      `json:"guestLines"`
	BeforeLines int      `json:"customerLinesBefore"`
	AfterLines  int      `json:"linesAfter"`
	// Capped are SKUs whose quantity the maximum cut; Dropped are guest
	// lines the line limit left out.
	Capped  []string `json:"capped,omitempty"`
	Dropped []string `json:"dropped,omitempty"`
}

// Merge joins a guest's lines into a customer's under a strategy and the
// rules: lines only one cart has are kept (the guest's after the
// customer's, up to the line limit), quantities never exceed the maximum.
func Merge(s Strategy, customer, guest []Line, r Rules) ([]Line, Merged) {
	m := Merged{Strategy: s, GuestLines: len(guest), BeforeLines: len(customer)}
	base := customer
	if s == Replace {
		base = nil
	}
	out := make([]Line, 0, len(base)+len(guest))
	at := map[string]int{}
	for _, l := range base {
		at[l.SKU] = len(out)
		out = append(out, l)
	}
	for _, g := range Sorted(guest) {
		i, both := at[g.SKU]
		switch {
		case !both && len(out) >= r.MaxLines:
			m.Dropped = append(m.Dropped, g.SKU)
			continue
		case !both:
			at[g.SKU] = len(out)
			out = append(out, g)
			continue
		}
		switch s {
		case Sum:
			out[i].Quantity += g.Quantity
		case Max:
			out[i].Quantity = max(out[i].Quantity, g.Quantity)
		}
	}
	for i := range out {
		if out[i].Quantity > r.MaxQuantity {
			out[i].Quantity = r.MaxQuantity
			m.Capped = append(m.Capped, out[i].SKU)
		}
	}
	out = Sorted(out)
	m.AfterLines = len(out)
	return out, m
}
