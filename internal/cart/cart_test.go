package cart_test

import (
	"fmt"
	"testing"

	"github.com/openreg/registration/internal/cart"
)

func TestMerge(t *testing.T) {
	rules := cart.Rules{MaxQuantity: 10, MaxLines: 3}
	l := func(sku string, q int) cart.Line { return cart.Line{SKU: sku, Quantity: q} }
	customer := []cart.Line{l("B", 4), l("A", 9)}
	tests := []struct {
		name     string
		strategy cart.Strategy
		customer []cart.Line
		guest    []cart.Line
		want     []cart.Line
		capped   []string
		dropped  []string
	}{
		{"sum adds the quantities of lines both carts have, up to the maximum", cart.Sum, customer, []cart.Line{l("A", 5), l("C", 1)},
			[]cart.Line{l("A", 10), l("B", 4), l("C", 1)}, []string{"A"}, nil},
		{"max keeps the larger quantity", cart.Max, customer, []cart.Line{l("A", 5), l("B", 6)},
			[]cart.Line{l("A", 9), l("B", 6)}, nil, nil},
		{"keep-customer keeps the customer's quantity", cart.KeepCustomer, customer, []cart.Line{l("A", 1)},
			[]cart.Line{l("A", 9), l("B", 4)}, nil, nil},
		{"replace makes the guest's cart the customer's", cart.Replace, customer, []cart.Line{l("C", 2)},
			[]cart.Line{l("C", 2)}, nil, nil},
		{"guest lines past the line limit are dropped, in SKU order", cart.Sum, customer, []cart.Line{l("E", 1), l("D", 1)},
			[]cart.Line{l("A", 9), l("B", 4), l("D", 1)}, nil, []string{"E"}},
		{"an empty guest cart changes nothing", cart.Sum, customer, nil,
			[]cart.Line{l("A", 9), l("B", 4)}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, m := cart.Merge(tt.strategy, tt.customer, tt.guest, rules)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || fmt.Sprint(m.Capped) != fmt.Sprint(tt.capped) || fmt.Sprint(m.Dropped) != fmt.Sprint(tt.dropped) {
				t.Errorf("got %v (capped %v, dropped %v), want %v (capped %v, dropped %v)", got, m.Capped, m.Dropped, tt.want, tt.capped, tt.dropped)
			}
			if m.AfterLines != len(got) || m.GuestLines != len(tt.guest) || m.BeforeLines != len(tt.customer) || m.Strategy != tt.strategy {
				t.Errorf("merged = %+v", m)
			}
		})
	}
}
