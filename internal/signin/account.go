package signin

import (
	"context"

	"github.com/openreg/registration/internal/customer"
)

// SignOut ends the session a token names and logs it, in one write. Signing
// out without a live session succeeds: the client wanted no session and has
// none.
func (s *Service) SignOut(ctx context.Context, plain string) error {
	return s.sessions.End(ctx, plain, customer.Activity{Type: customer.ActivitySignedOut, At: s.now().UTC()})
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
		return customer.Customer{}, unauthenticated()
	}
	return c, nil
}
