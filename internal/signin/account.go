package signin

import (
	"context"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/session"

	"github.com/openreg/registration/internal/customer"
)

// SignOut ends the session a token names, logs it and publishes
// customer.signed_out, in one write. Signing out without a live session
// succeeds: the client wanted no session and has none. The write reads
// nothing, so the event names the store the request was for (storeID, or
// the default store).
func (s *Service) SignOut(ctx context.Context, plain, storeID string) error {
	now := s.now().UTC()
	if storeID == "" {
		storeID = s.settings.DefaultStoreID
	}
	ev, err := event.New(s.random, event.SignedOut, "", storeID, now, map[string]any{"scope": "session"})
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Could not sign out.", err)
	}
	return s.sessions.End(ctx, plain, customer.Activity{Type: customer.ActivitySignedOut, At: now}, ev)
}

// Me returns the customer a session token belongs to, from one read.
func (s *Service) Me(ctx context.Context, plain string) (customer.Customer, error) {
	_, c, err := s.sessions.Authenticate(ctx, plain)
	if err != nil {
		return customer.Customer{}, err
	}
	if !c.CanSignIn() {
		// Deactivated since signing in: the session is worth nothing.
		_ = s.sessions.End(ctx, plain, customer.Activity{Type: customer.ActivitySessionEnded, At: s.now().UTC(),
			Detail: map[string]string{"reason": string(c.Status)}})
		return customer.Customer{}, session.Unauthenticated()
	}
	return c, nil
}
