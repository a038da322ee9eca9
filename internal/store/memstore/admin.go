package memstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
)

// listKey orders a status list newest first, as the byStatus index does.
func listKey(c customer.Customer) string {
	return fmt.Sprintf("%020d#%s", c.CreatedAt.UnixNano(), c.ID)
}

// ListByStatus returns a page of a store's customers with a status; see
// admin.Store. (Unlike the DynamoDB store's index, it is consistent at once.)
func (s *Store) ListByStatus(_ context.Context, storeID string, st customer.Status, limit int, cursor string) (admin.Page, error) {
	return locked(s, func() (admin.Page, error) {
		before, ok := keys.FromCursor(cursor)
		if !ok {
			return admin.Page{}, admin.ErrBadCursor
		}
		var all []customer.Customer
		for _, c := range s.customers {
			if c.StoreID == storeID && (c.Status == st || st == customer.Undeliverable && c.Undeliverable()) && (before == "" || listKey(c) < before) {
				all = append(all, c)
			}
		}
		slices.SortFunc(all, func(a, b customer.Customer) int { return strings.Compare(listKey(b), listKey(a)) })
		p := admin.Page{}
		for i, c := range all {
			if i == limit {
				p.Cursor = keys.Cursor(listKey(all[i-1]))
				break
			}
			p.Customers = append(p.Customers, c)
		}
		return p, nil
	})
}

// ActivityPage returns a page of a customer's activity entries, newest
// first; see admin.Store.
func (s *Store) ActivityPage(_ context.Context, customerID string, limit int, cursor string) (admin.ActivityPage, error) {
	return locked(s, func() (admin.ActivityPage, error) {
		// The cursor counts the entries of the pages before, in the shape
		// of an activity entry's sort key (as the DynamoDB store's cursor
		// is one).
		after, ok := keys.FromCursor(cursor)
		if !ok {
			return admin.ActivityPage{}, admin.ErrBadCursor
		}
		skip := 0
		if after != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(after, keys.SKActivity))
			if err != nil || !strings.HasPrefix(after, keys.SKActivity) || n < 0 {
				return admin.ActivityPage{}, admin.ErrBadCursor
			}
			skip = n
		}
		var mine []customer.Activity
		for _, a := range s.Activities {
			if a.CustomerID == customerID {
				mine = append(mine, a)
			}
		}
		slices.SortStableFunc(mine, func(a, b customer.Activity) int { return b.At.Compare(a.At) })
		p := admin.ActivityPage{}
		if skip < len(mine) {
			p.Entries = mine[skip:min(skip+limit, len(mine))]
		}
		if skip+limit < len(mine) {
			p.Cursor = keys.Cursor(keys.SKActivity + strconv.Itoa(skip+limit))
		}
		return p, nil
	})
}
