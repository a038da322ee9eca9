package memstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/customer"
)

var _ admin.Store = (*Store)(nil)

// listKey orders a status list newest first, as the byStatus index does.
func listKey(c customer.Customer) string {
	return fmt.Sprintf("%020d#%s", c.CreatedAt.UnixNano(), c.ID)
}

// ListByStatus returns a page of a store's customers with a status; see
// admin.Store. (Unlike the DynamoDB store's index, it is consistent at once.)
func (s *Store) ListByStatus(_ context.Context, storeID string, st customer.Status, limit int, cursor string) (admin.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return admin.Page{}, s.Err
	}
	before := ""
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(b) == 0 {
			return admin.Page{}, admin.ErrBadCursor
		}
		before = string(b)
	}
	var all []customer.Customer
	for _, c := range s.customers {
		if c.StoreID == storeID && c.Status == st && (before == "" || listKey(c) < before) {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b customer.Customer) int { return strings.Compare(listKey(b), listKey(a)) })
	p := admin.Page{}
	for i, c := range all {
		if i == limit {
			p.Cursor = base64.RawURLEncoding.EncodeToString([]byte(listKey(all[i-1])))
			break
		}
		p.Customers = append(p.Customers, c)
	}
	return p, nil
}

// ActivityPage returns a page of a customer's activity entries, newest
// first; see admin.Store.
func (s *Store) ActivityPage(_ context.Context, customerID string, limit int, cursor string) (admin.ActivityPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return admin.ActivityPage{}, s.Err
	}
	skip := 0
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		n, convErr := strconv.Atoi(strings.TrimPrefix(string(b), "ACTIVITY#"))
		if err != nil || convErr != nil || !strings.HasPrefix(string(b), "ACTIVITY#") || n < 0 {
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
		p.Cursor = base64.RawURLEncoding.EncodeToString([]byte("ACTIVITY#" + strconv.Itoa(skip+limit)))
	}
	return p, nil
}
