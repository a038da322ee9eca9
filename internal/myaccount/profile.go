package myaccount

import (
	"context"
	"maps"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/profile"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/vat"
)

// ProfilePatch is a partial update of the profile: what it names changes,
// the rest stays.
type ProfilePatch struct {
	// Fields maps profile field names (settings.ProfileFields) to their
	// new values; "" clears a field.
	Fields map[string]string
	// Attributes maps attribute ids to new values; "" removes one.
	Attributes map[string]string
	// Newsletters, when not nil, is the new list of subscriptions (an
	// empty list unsubscribes from all).
	Newsletters *[]string
}

// UpdateProfile applies a patch to the signed-in customer's profile. The
// result must pass the same rules as a registration (a required field
// cannot be cleared, a disabled one cannot be set).
func (s *Service) UpdateProfile(ctx context.Context, token string, p ProfilePatch, sourceIP string) (customer.Customer, error) {
	sess, c, err := s.signedIn(ctx, token)
	if err != nil {
		return customer.Customer{}, err
	}
	var f apperr.Fields
	known := map[string]bool{}
	for _, name := range settings.ProfileFields {
		known[name] = true
	}
	for name := range p.Fields {
		if !known[name] {
			f.Add(name, "unknown_field", "There is no such profile field.")
		}
	}
	if err := f.Err(); err != nil {
		return customer.Customer{}, err
	}
	var out customer.Customer
	err = s.update(ctx, c, allowedBy(sess, ""), func(c customer.Customer, _ time.Time) (account.Update, error) {
		fields := c.Profile
		for name, v := range p.Fields {
			*fields.ByName(name) = v
		}
		attrs := maps.Clone(c.Attributes)
		if attrs == nil {
			attrs = map[string]string{}
		}
		for id, v := range p.Attributes {
			if v == "" {
				delete(attrs, id)
			} else {
				attrs[id] = v
			}
		}
		newsletters := c.Newsletters
		if p.Newsletters != nil {
			newsletters = *p.Newsletters
		}
		now := s.now().UTC()
		fields, attrs, newsletters, err := profile.Check(s.settings, now, fields, attrs, newsletters)
		if err != nil {
			return account.Update{}, err
		}
		after := c
		after.Profile, after.Attributes, after.Newsletters = fields, attrs, newsletters
		out = after
		u := account.Update{After: after, Activity: by(activity(c, customer.ActivityProfileUpdated, now, sourceIP), sess)}
		switch {
		case after.Profile.VatNumber == "":
			u.After.Vat = nil
		case after.Profile.VatNumber != c.Profile.VatNumber:
			u.After.Vat = nil // a new number is checked afresh
			job, err := vat.StartCheck(s.settings.Vat.EUVat, s.random, now, &u.After)
			if err != nil {
				return account.Update{}, err
			}
			if job != nil {
				u.Outbox = append(u.Outbox, *job)
			}
		}
		out = u.After
		if p.Newsletters != nil {
			// The address is verified (the customer is signed in), so a
			// new choice is active at once; one dropped is switched off
			// and keeps its identity for a later return.
			have, err := s.subscriptionsOf(ctx, c)
			if err != nil {
				return account.Update{}, err
			}
			if u.Subscriptions, err = customer.Subscribe(have, c.StoreID, c.Email, c.Language, newsletters, c.Verified(), now, s.random); err != nil {
				return account.Update{}, apperr.Wrap(apperr.Internal, "Could not update.", err)
			}
			u.Subscriptions = append(u.Subscriptions, customer.Unsubscribe(have, newsletters, now)...)
		}
		return u, nil
	})
	return out, err
}
