package signin

import (
	"context"
	"errors"

	"github.com/openreg/registration/internal/customer"
)

// SignOut revokes the session a token names and logs it. Signing out without
// a live session succeeds: the client wanted no session and has none.
func (s *Service) SignOut(ctx context.Context, plain string) error {
	sess, err := s.sessions.Authenticate(ctx, plain)
	if err != nil {
		return s.sessions.Revoke(ctx, plain)
	}
	if err := s.sessions.Revoke(ctx, plain); err != nil {
		return err
	}
	s.activity(ctx, customer.Activity{CustomerID: sess.CustomerID, Type: customer.ActivitySignedOut, At: s.now().UTC()})
	return nil
}

// Me returns the customer a session token belongs to.
func (s *Service) Me(ctx context.Context, plain string) (customer.Customer, error) {
	sess, err := s.sessions.Authenticate(ctx, plain)
	if err != nil {
		return customer.Customer{}, err
	}
	c, err := s.store.Customer(ctx, sess.CustomerID)
	if err != nil && !errors.Is(err, customer.ErrNotFound) {
		return customer.Customer{}, err
	}
	if err != nil || !c.CanSignIn() {
		// Deleted or deactivated since signing in: the session is worth
		// nothing.
		_ = s.sessions.Revoke(ctx, plain)
		return customer.Customer{}, unauthenticated()
	}
	return c, nil
}
