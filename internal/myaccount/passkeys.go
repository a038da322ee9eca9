package myaccount

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/session"
)

// PasskeyStore is what My account keeps of passkeys: the credentials, in
// their customer's partition, and the challenge of the registration begun.
type PasskeyStore interface {
	// PutPasskeyChallenge stores ch until it expires: a registration
	// challenge under its customer, so a customer has one pending
	// registration and a newer one replaces it.
	PutPasskeyChallenge(ctx context.Context, ch passkey.Challenge) error
	// RegistrationChallenge returns the customer's pending registration
	// challenge; customer.ErrNotFound when none.
	RegistrationChallenge(ctx context.Context, customerID string) (passkey.Challenge, error)
	// Passkeys returns the customer's passkeys.
	Passkeys(ctx context.Context, customerID string) ([]passkey.Credential, error)
	// AddPasskey writes a in one transaction (it spends the registration
	// challenge); account.ErrChallengeUsed, ErrPasskeyExists or
	// ErrSessionGone when its conditions fail.
	AddPasskey(ctx context.Context, a account.PasskeyAdd) error
	// RemovePasskey deletes one passkey (by passkey.Credential.IDText) of
	// the customer with its activity entry and events; customer.ErrNotFound
	// when there is no such passkey.
	RemovePasskey(ctx context.Context, customerID, credentialID string, a customer.Activity, events []event.Event) error
	// Login is the sign-in view of a login key (its live sign-in code);
	// SpendSignInCode spends that code (account.ErrCodeUsed when it is gone).
	Login(ctx context.Context, kind, key string) (customer.Customer, error)
	SpendSignInCode(ctx context.Context, emailKey, digest string) error
}

func passkeysOff() error {
	return apperr.New(apperr.NotFound, "This store does not offer passkeys.")
}

func invalidCredential() error {
	return apperr.New(apperr.InvalidCredential, "The passkey could not be verified; start again.")
}

// PasskeyOptions begins adding a passkey: the signed-in customer's own
// session and the password again, or a sign-in code just mailed to the
// account's address (POST /v1/sign-in-codes; for an account without a
// password), so a stolen session alone adds none; then the creation options
// for the browser (navigator.credentials.create), excluding the passkeys
// the customer has. The challenge is stored, the customer's one pending
// registration.
func (s *Service) PasskeyOptions(ctx context.Context, token, pw, mailed, sourceIP string) (json.RawMessage, error) {
	if s.passkeys == nil {
		return nil, passkeysOff()
	}
	var c customer.Customer
	var err error
	if mailed != "" && pw == "" {
		c, err = s.withMailedCode(ctx, token, mailed)
	} else {
		c, _, err = s.withPassword(ctx, token, pw, sourceIP, func(customer.Customer) apperr.Fields { return needPassword(pw) })
	}
	if err != nil {
		return nil, err
	}
	have, err := s.store.Passkeys(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	name := c.Profile.FirstName + " " + c.Profile.LastName
	opts, ch, err := s.passkeys.BeginRegistration(passkey.User{ID: c.ID, Email: c.Email, DisplayName: name}, have)
	if err != nil {
		return nil, err
	}
	if err := s.store.PutPasskeyChallenge(ctx, ch); err != nil {
		return nil, err
	}
	return opts, nil
}

// withMailedCode is the signed-in customer of token in a session of their
// own, proven again by the live sign-in code of the account's address,
// which it spends. A wrong, spent or missing code is code_invalid, counted
// on the address (package code).
func (s *Service) withMailedCode(ctx context.Context, token, typed string) (customer.Customer, error) {
	_, c, err := s.ownSession(ctx, token)
	if err != nil {
		return customer.Customer{}, err
	}
	if s.codes == nil {
		return customer.Customer{}, code.Invalid()
	}
	key := customer.NormalizeLogin(c.Email)
	view, err := s.store.Login(ctx, "email", key)
	if err != nil && !errors.Is(err, customer.ErrNotFound) {
		return customer.Customer{}, err
	}
	ok := false
	if err == nil && view.ID == c.ID {
		if ok, err = s.codes.Check(ctx, code.SignIn, c.ID, view.SignInCode, view.CodesVoidBefore, s.now(), typed); err != nil {
			return customer.Customer{}, apperr.Wrap(apperr.Unavailable, "The code could not be checked right now; try again.", err)
		}
	}
	if !ok {
		return customer.Customer{}, s.guard.Wrong(ctx, key, c.ID)
	}
	if err := s.store.SpendSignInCode(ctx, key, view.SignInCode.Digest); err != nil {
		if errors.Is(err, account.ErrCodeUsed) {
			return customer.Customer{}, code.Invalid()
		}
		return customer.Customer{}, err
	}
	return c, nil
}

// AddPasskey finishes adding a passkey with the browser's answer to the
// pending options: the credential is stored with the session that added
// it (a recovery that ends that session removes it), the customer is
// mailed a notice, and the challenge is spent, in one write.
func (s *Service) AddPasskey(ctx context.Context, token string, credential []byte, name, sourceIP string) (passkey.Credential, error) {
	if s.passkeys == nil {
		return passkey.Credential{}, passkeysOff()
	}
	sess, c, err := s.ownSession(ctx, token)
	if err != nil {
		return passkey.Credential{}, err
	}
	if name, err = passkey.CheckName(name); err != nil {
		return passkey.Credential{}, err
	}
	ch, err := s.store.RegistrationChallenge(ctx, c.ID)
	if errors.Is(err, customer.ErrNotFound) {
		return passkey.Credential{}, invalidCredential()
	}
	if err != nil {
		return passkey.Credential{}, err
	}
	cred, err := s.passkeys.FinishRegistration(ch, credential, name, sess.Digest)
	if err != nil {
		return passkey.Credential{}, err
	}
	now := s.now().UTC()
	a := activity(c, customer.ActivityPasskeyAdded, now, sourceIP)
	a.Detail["passkey"] = cred.IDText()
	notice := s.mailTo(c, mail.PasskeyAddedNotice{Name: cred.Name, At: now})
	if notice.ID, err = s.newID(); err != nil {
		return passkey.Credential{}, err
	}
	err = s.store.AddPasskey(ctx, account.PasskeyAdd{Credential: cred, Activity: *a, Session: sess.Ref(), Notice: notice})
	switch {
	case errors.Is(err, account.ErrSessionGone):
		return passkey.Credential{}, session.Unauthenticated()
	case errors.Is(err, account.ErrChallengeUsed), errors.Is(err, account.ErrPasskeyExists):
		return passkey.Credential{}, invalidCredential()
	}
	return cred, err
}

// ListPasskeys lists the signed-in customer's passkeys.
func (s *Service) ListPasskeys(ctx context.Context, token string) ([]passkey.Credential, error) {
	if s.passkeys == nil {
		return nil, passkeysOff()
	}
	_, c, err := s.signedIn(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.store.Passkeys(ctx, c.ID)
}

// RemovePasskey removes one of the signed-in customer's passkeys (by its
// id), with its activity entry; not an impersonation's to do.
func (s *Service) RemovePasskey(ctx context.Context, token, id, sourceIP string) error {
	if s.passkeys == nil {
		return passkeysOff()
	}
	sess, c, err := s.ownSession(ctx, token)
	if err != nil {
		return err
	}
	a := activity(c, customer.ActivityPasskeyRemoved, s.now().UTC(), sourceIP)
	a.Detail["passkey"] = id
	err = s.store.RemovePasskey(ctx, c.ID, id, *by(a, sess), nil)
	if errors.Is(err, customer.ErrNotFound) {
		return apperr.New(apperr.NotFound, "There is no such passkey.")
	}
	return err
}

// endedPasskeys are the ids of c's passkeys that sessions a recovery ends
// had added: every one but those added by kept (the session a password
// change keeps, "" for none).
func (s *Service) endedPasskeys(ctx context.Context, c customer.Customer, kept string) ([]string, error) {
	if s.passkeys == nil || !c.HasPasskeys {
		return nil, nil
	}
	have, err := s.store.Passkeys(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range have {
		if p.AddedBySession != kept || kept == "" {
			out = append(out, p.IDText())
		}
	}
	return out, nil
}
