package myaccount

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/session"
)

// Device is one of a customer's sessions as their list shows it.
type Device struct {
	ID         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	UserAgent  string
	Address    string
	// Current: the session the list was asked in.
	Current bool
}

// Devices lists the signed-in customer's live sessions, the current one
// first, then the most recently used: one read (the customer with their
// sessions).
func (s *Service) Devices(ctx context.Context, token string) ([]Device, error) {
	cur, c, all, err := s.sessionsOf(ctx, token)
	if err != nil {
		return nil, err
	}
	live := session.Live(c, all, s.now())
	out := make([]Device, 0, len(live))
	for _, x := range live {
		out = append(out, Device{ID: x.ID(), CreatedAt: x.CreatedAt, LastUsedAt: x.LastUsed(), UserAgent: x.Client.UserAgent,
			Address: x.Client.Address, Current: x.Digest == cur.Digest})
	}
	slices.SortStableFunc(out, func(a, b Device) int {
		if a.Current != b.Current {
			if a.Current {
				return -1
			}
			return 1
		}
		return b.LastUsedAt.Compare(a.LastUsedAt)
	})
	return out, nil
}

// EndDevice ends one of the signed-in customer's sessions by its public id
// (Device.ID), logs it and publishes customer.signed_out, in one write.
// An id that names no live session of theirs is not_found; ending the
// current session this way signs it out.
func (s *Service) EndDevice(ctx context.Context, token, id, sourceIP string) error {
	cur, c, all, err := s.sessionsOf(ctx, token)
	if err != nil {
		return err
	}
	for _, x := range session.Live(c, all, s.now()) {
		if x.ID() != id {
			continue
		}
		now := s.now().UTC()
		evs, err := event.Of(s.random, c.ID, c.StoreID, now, event.Spec{Type: event.SignedOut,
			Changes: map[string]any{"scope": "session", "sessionId": id}})
		if err != nil {
			return apperr.Wrap(apperr.Internal, "Could not end the session.", err)
		}
		a := activity(c, customer.ActivitySessionEnded, now, sourceIP)
		a.Detail["session"] = id
		return s.store.EndSession(ctx, x.Ref(), *by(a, cur), evs)
	}
	return apperr.New(apperr.NotFound, "There is no such session.")
}

// sessionsOf authenticates token against the customer's sessions, read
// with the customer in one query.
func (s *Service) sessionsOf(ctx context.Context, token string) (session.Session, customer.Customer, []session.Session, error) {
	ref, ok := session.Parse(token)
	if !ok {
		return session.Session{}, customer.Customer{}, nil, session.Unauthenticated()
	}
	c, all, err := s.store.SessionsOf(ctx, ref.CustomerID)
	if errors.Is(err, customer.ErrNotFound) {
		return session.Session{}, customer.Customer{}, nil, session.Unauthenticated()
	}
	if err != nil {
		return session.Session{}, customer.Customer{}, nil, err
	}
	cur, err := s.sessions.Among(token, c, all)
	if err == nil && !c.CanSignIn() {
		err = session.Unauthenticated()
	}
	return cur, c, all, err
}
