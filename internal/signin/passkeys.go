package signin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/redirect"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/throttle"
)

// clientPasskeyOptions is the per-client counter of passkey sign-in
// options.
const clientPasskeyOptions = "client-passkey-options"

// PasskeyStore is what a passkey sign-in reads and writes besides the
// sign-in itself.
type PasskeyStore interface {
	PutPasskeyChallenge(ctx context.Context, ch passkey.Challenge) error
	// PasskeySignIn reads the sign-in challenge, the customer's passkey and
	// the customer in one call; customer.ErrNotFound when any is missing.
	PasskeySignIn(ctx context.Context, challengeID, customerID, credentialID string) (passkey.Challenge, passkey.Credential, customer.Customer, error)
}

// PasskeyRequest is a passkey sign-in: the challenge the options named and
// the browser's answer (navigator.credentials.get, as JSON).
type PasskeyRequest struct {
	ChallengeID string
	Credential  []byte
	SourceIP    string
	UserAgent   string
	GuestID     string
}

func passkeysOff() error {
	return apperr.New(apperr.NotFound, "This store does not offer passkeys.")
}

func invalidPasskey() error {
	return apperr.New(apperr.InvalidCredential, "The passkey could not be verified; start again.")
}

// PasskeyOptions begins a passkey sign-in: request options for a
// discoverable credential (no login asked), with the challenge's id; the
// challenge is stored for 5 minutes, single use. Counted per client.
func (s *Service) PasskeyOptions(ctx context.Context, sourceIP string) (json.RawMessage, error) {
	if s.passkeys == nil {
		return nil, passkeysOff()
	}
	if c := throttle.ClientCap(clientPasskeyOptions, s.settings.ClientLimits.SignIn, s.now(), sourceIP); c != nil {
		if err := s.store.Count(ctx, *c); err != nil {
			return nil, throttle.Refusal(err)
		}
	}
	opts, ch, err := s.passkeys.BeginSignIn()
	if err != nil {
		return nil, err
	}
	if err := s.store.PutPasskeyChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return opts, nil
}

// answer is what a passkey sign-in reads of the browser's answer before
// any lookup: the credential's id and the user handle (the customer id),
// so the challenge, the passkey and the customer are one read.
type answer struct {
	ID       string `json:"id"`
	Response struct {
		UserHandle string `json:"userHandle"`
	} `json:"response"`
}

// PasskeySignIn signs in with a passkey: one read (challenge, passkey,
// customer) and one write (the session, the challenge spent, the counter
// moved). It skips the password's per-login throttle, never the
// per-client one. Every refusal is invalid_credential.
func (s *Service) PasskeySignIn(ctx context.Context, req PasskeyRequest) (Result, error) {
	if s.passkeys == nil {
		return Result{}, passkeysOff()
	}
	var a answer
	if !passkey.WellFormedChallengeID(req.ChallengeID) || len(req.Credential) > passkey.MaxCredentialJSON ||
		json.Unmarshal(req.Credential, &a) != nil {
		return Result{}, invalidPasskey()
	}
	credID, okID := passkey.ParseCredentialID(a.ID)
	handle, err := base64.RawURLEncoding.DecodeString(a.Response.UserHandle)
	if !okID || err != nil || !customer.ValidID(string(handle)) {
		return Result{}, invalidPasskey()
	}
	ch, stored, cust, err := s.store.PasskeySignIn(ctx, req.ChallengeID, string(handle), a.ID)
	if errors.Is(err, customer.ErrNotFound) {
		return Result{}, invalidPasskey()
	}
	if err != nil {
		return Result{}, err
	}
	used, err := s.passkeys.FinishSignIn(ch, req.Credential, func(id, userHandle []byte) (passkey.Credential, error) {
		if !bytes.Equal(id, credID) || string(userHandle) != cust.ID {
			return passkey.Credential{}, apperr.New(apperr.NotFound, "no such passkey")
		}
		return stored, nil
	})
	if errors.Is(err, passkey.ErrCounterWentBack) {
		s.log.WarnContext(ctx, "passkey refused: its signature counter went back (a cloned authenticator?)",
			"customerId", cust.ID, "passkey", a.ID, "error", err)
	}
	if err != nil {
		return Result{}, err
	}
	if !cust.CanSignIn() {
		return Result{}, invalidPasskey()
	}
	now := s.now().UTC()
	client := session.ClientOf(req.UserAgent, req.SourceIP)
	issued, sess, err := s.sessions.New(cust.ID, false, client)
	if err != nil {
		return Result{}, err
	}
	attempt := account.SignIn{At: now, SourceIP: req.SourceIP, Session: &sess,
		Passkey: &account.PasskeyUse{ChallengeID: req.ChallengeID, Credential: used, PreviousCount: stored.SignCount},
		Activity: &customer.Activity{CustomerID: cust.ID, Type: customer.ActivitySignedIn, At: now,
			Detail: map[string]string{"sourceIp": req.SourceIP, "method": "passkey", "passkey": a.ID}}}
	if c := throttle.ClientCap(throttle.ClientSignIn, s.settings.ClientLimits.SignIn, now, req.SourceIP); c != nil {
		attempt.Counters = append(attempt.Counters, *c)
	}
	for try := 0; ; try++ {
		if attempt.HandOver, err = s.handOver(ctx, req.GuestID, cust.ID); err != nil {
			return Result{}, err
		}
		changes := attempt.HandOver.Changes()
		changes["rememberMe"] = false
		changes["method"] = "passkey"
		if attempt.Events, err = event.Of(s.random, cust.ID, cust.StoreID, now, event.Spec{Type: event.SignedIn, Changes: changes}); err != nil {
			return Result{}, apperr.Wrap(apperr.Internal, "Could not sign in.", err)
		}
		err = s.store.SignInSucceeded(ctx, attempt)
		if !errors.Is(err, cart.ErrHandOverConflict) || try == 2 {
			break
		}
	}
	switch {
	case errors.Is(err, cart.ErrHandOverConflict):
		return Result{}, apperr.New(apperr.Unavailable, "The cart kept changing; try again.")
	case errors.Is(err, account.ErrChallengeUsed):
		return Result{}, invalidPasskey()
	case err != nil:
		return Result{}, s.refused(err)
	}
	return Result{CustomerID: cust.ID, Redirect: redirect.Local(""), Session: issued, HandedOver: attempt.HandOver != nil}, nil
}
