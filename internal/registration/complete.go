package registration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/vat"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/settings"
)

// Completion is the write that completes a pending registration, atomically:
// the registration's outcome (its personal data removed), and
//   - Created: the new customer with its live link, its email key, its
//     username key (taken over from the registration's reservation), consent
//     log, activity entry, resend interval and outbox mails;
//   - Replaced: the unverified account Previous overwritten with the new
//     registration (password, profile, consents shown, a new link that voids
//     the old ones, a new expiry for it and its keys), a changed username's
//     keys swapped;
//   - Notified: the activity entry on the verified owner's account.
type Completion struct {
	Registration Pending
	Outcome      Outcome
	Customer     customer.Customer
	// Previous is the account as read before a replacement; the write is
	// conditional on it being unchanged.
	Previous *customer.Customer
	Consents []customer.ConsentRecord
	Activity customer.Activity
	Outbox   []outbox.Message
	Events   []event.Event
	// HandOver gives the registration's guest cart to the account.
	HandOver *cart.HandOver
	// Subscriptions are the newsletter subscriptions the registration
	// chose: new ones wait inactive until the address is verified.
	Subscriptions []customer.Subscription
}

// ErrConflict is returned by a CompletionStore when the address's account
// changed between reading and writing (another registration completed
// first); the caller reads again.
var ErrConflict = errors.New("registration: the address's account changed")

// ErrNotFound is returned for a pending registration that does not exist
// (completed long ago and expired).
var ErrNotFound = errors.New("registration: no such pending registration")

// CompletionStore is what completing a registration reads and writes.
type CompletionStore interface {
	PendingRegistration(ctx context.Context, id string) (Pending, error)
	CustomerIDByEmail(ctx context.Context, emailKey string) (string, error)
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// Complete writes c atomically; ErrConflict when the email key or the
	// previous account changed, or the registration was completed already.
	Complete(ctx context.Context, c Completion) error
	// Subscriptions returns a normalised address's newsletter
	// subscriptions in a store.
	Subscriptions(ctx context.Context, storeID, emailKey string) ([]customer.Subscription, error)
	// ClaimNotice lets job tell the owner of emailKey unless another job
	// did within interval (a retry of the same job passes).
	ClaimNotice(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error)
}

// NoticeInterval is the least time between two "someone tried to register
// with your address" mails to one address: enough to warn the owner, too
// few to flood them.
const NoticeInterval = time.Hour

// Linker mints and reissues verification links.
type Linker interface {
	Mint(ctx context.Context, cust customer.Customer, now time.Time, jobID string) (customer.Link, outbox.Message, error)
	Reissue(ctx context.Context, customerID, jobID string) (outbox.Message, bool, error)
	// Due reports whether the job jobID may mail cust's address a new
	// link: none went to it within the resend interval (the live link of
	// another job, or a claim of one). A job's own retry passes.
	Due(ctx context.Context, cust customer.Customer, jobID string) (bool, error)
}

// Completer is the mailer's half of a double opt-in or approval
// registration: it decides what the pending registration is and returns the
// mail that goes with it (the link, or the owner's notice).
type Completer struct {
	settings settings.Settings
	store    CompletionStore
	linker   Linker
	// handOvers is nil where no guest can come along (unit tests).
	handOvers HandOvers
	random    io.Reader
	now       func() time.Time
	log       *slog.Logger
}

// CompleterDeps are the collaborators of a Completer.
type CompleterDeps struct {
	Settings settings.Settings
	Store    CompletionStore
	Linker   Linker
	// HandOvers, when set, hands the registration's guest cart to the
	// account it becomes.
	HandOvers HandOvers
	Random    io.Reader
	Now       func() time.Time
	Log       *slog.Logger
}

// NewCompleter returns a Completer.
func NewCompleter(d CompleterDeps) *Completer {
	return &Completer{settings: d.Settings, store: d.Store, linker: d.Linker, handOvers: d.HandOvers, random: d.Random, now: d.Now, log: d.Log}
}

// Run completes a CompleteJob's registration and returns its mail (nil
// when none is due).
func (c *Completer) Run(ctx context.Context, job outbox.Message, j CompleteJob) (*outbox.Message, error) {
	p, err := c.store.PendingRegistration(ctx, j.RegistrationID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if p.Outcome != "" {
		return outbox.Due(c.again(ctx, p, job))
	}
	for attempt := 0; attempt < 4; attempt++ {
		msg, due, err := c.complete(ctx, p, job)
		if !errors.Is(err, ErrConflict) && !errors.Is(err, cart.ErrHandOverConflict) {
			return outbox.Due(msg, due, err)
		}
	}
	return nil, apperr.New(apperr.Unavailable, "the address's account kept changing")
}

// again handles a job whose registration was completed but whose mail did
// not go out (the send failed and the job came back): a fresh link for the
// account it became, or the owner's notice again.
func (c *Completer) again(ctx context.Context, p Pending, job outbox.Message) (outbox.Message, bool, error) {
	switch p.Outcome {
	case Created, Replaced:
		// Under the resend interval like any other link: a redelivered
		// job whose first run kept the live link mails nothing now.
		cust, err := c.store.Customer(ctx, p.CustomerID)
		if errors.Is(err, customer.ErrNotFound) {
			return outbox.Message{}, false, nil
		}
		if err != nil {
			return outbox.Message{}, false, err
		}
		if due, err := c.linker.Due(ctx, cust, job.ID); err != nil || !due {
			return outbox.Message{}, false, err
		}
		return c.linker.Reissue(ctx, p.CustomerID, job.ID)
	case Notified:
		return c.notice(ctx, p, job, nil)
	}
	return outbox.Message{}, false, nil // Superseded: nothing to mail
}

func (c *Completer) complete(ctx context.Context, p Pending, job outbox.Message) (outbox.Message, bool, error) {
	now := c.now().UTC()
	id, err := c.store.CustomerIDByEmail(ctx, p.EmailKey)
	var owner customer.Customer
	if err == nil {
		owner, err = c.store.Customer(ctx, id)
	}
	switch {
	case errors.Is(err, customer.ErrNotFound):
		return c.create(ctx, p, job, now)
	case err != nil:
		return outbox.Message{}, false, err
	case owner.Expired(now):
		return c.create(ctx, p, job, now)
	case owner.Status == customer.Unverified:
		return c.replace(ctx, p, job, owner, now)
	default:
		return c.notice(ctx, p, job, &owner)
	}
}

func (c *Completer) create(ctx context.Context, p Pending, job outbox.Message, now time.Time) (outbox.Message, bool, error) {
	cust := p.Customer(customer.Unverified)
	link, msg, err := c.linker.Mint(ctx, cust, now, job.ID)
	if err != nil {
		return outbox.Message{}, false, err
	}
	cust.Link = &link
	check, err := vat.StartCheck(c.settings.Vat.EUVat, c.random, now, &cust)
	if err != nil {
		return outbox.Message{}, false, err
	}
	comp := Completion{Registration: p, Outcome: Created, Customer: cust, Consents: p.consentsOf(cust.ID),
		Activity: customer.Activity{CustomerID: cust.ID, Type: customer.ActivityRegistered, At: p.CreatedAt,
			Detail: map[string]string{"store": p.StoreID, "registrationType": string(c.settings.RegistrationType), "sourceIp": p.SourceIP}}}
	if c.settings.NotifyStoreOwner {
		note, err := ownerNotice(c.random, c.settings, cust, now)
		if err != nil {
			return outbox.Message{}, false, err
		}
		comp.Outbox = append(comp.Outbox, note)
	}
	if check != nil {
		comp.Outbox = append(comp.Outbox, *check)
	}
	comp.Events, err = event.Of(c.random, cust.ID, cust.StoreID, p.CreatedAt,
		event.Spec{Type: event.Registered, Changes: registeredChanges(cust, c.settings.RegistrationType)})
	if err != nil {
		return outbox.Message{}, false, err
	}
	if err := c.completeAccount(ctx, p, comp, now); err != nil {
		return outbox.Message{}, false, err
	}
	return msg, true, nil
}

// completeAccount stores comp, a completion that makes or replaces the
// account comp.Customer, with what both bring the account besides: the
// registration's guest and its newsletter choices.
func (c *Completer) completeAccount(ctx context.Context, p Pending, comp Completion, now time.Time) error {
	var err error
	if comp.HandOver, err = c.handOver(ctx, p, comp.Customer.ID); err != nil {
		return err
	}
	if comp.Subscriptions, err = c.subscriptions(ctx, p, now); err != nil {
		return err
	}
	return c.store.Complete(ctx, comp)
}

// subscriptions are the records of the registration's newsletter choices:
// under double opt-in (and approval, which confirms the address too) they
// wait inactive until the address is verified, and the confirmation's own
// write activates them.
func (c *Completer) subscriptions(ctx context.Context, p Pending, now time.Time) ([]customer.Subscription, error) {
	if len(p.Newsletters) == 0 {
		return nil, nil
	}
	have, err := c.store.Subscriptions(ctx, p.StoreID, p.EmailKey)
	if err != nil {
		return nil, err
	}
	subs, err := customer.Subscribe(have, p.StoreID, p.Email, p.Language, p.Newsletters, false, now, c.random)
	// A record that never becomes active goes with the account that never
	// confirmed (the table's TTL): no one's address is kept for a stranger's
	// registration.
	return customer.Waiting(have, subs, p.Newsletters, p.ExpiresAt), err
}

// replace lets a new registration of an address whose account never
// confirmed it take that account over: the new password, profile and
// consents, a new expiry. Whoever registered first cannot keep the account
// from its real owner this way either: the owner's link goes to the owner,
// and confirming proves the owner's password.
//
// Two rules keep a burst of registrations of one address from flooding it
// or deciding it by chance:
//   - the newest registration wins: one received before the one the account
//     holds (Customer.ReceivedAt) changes nothing (Superseded), whatever
//     order the mailer runs them in, and the write is conditional on that
//     time (of two received at the same instant, the one completed last);
//   - one link mail per resend interval: within it the replacement keeps
//     the live link, mails nothing, and the link already mailed confirms the
//     newest registration (its password); after it, a new link voids the
//     old ones.
//
// The account's reset link and recovery time stay: a registration never
// voids a password reset.
func (c *Completer) replace(ctx context.Context, p Pending, job outbox.Message, owner customer.Customer, now time.Time) (outbox.Message, bool, error) {
	if p.CreatedAt.Before(owner.ReceivedAt) {
		c.log.InfoContext(ctx, "registration superseded by a newer one of the address", "registrationId", p.ID, "customerId", owner.ID)
		return outbox.Message{}, false, c.store.Complete(ctx, Completion{Registration: p, Outcome: Superseded, Customer: owner, Previous: &owner})
	}
	next := p.Customer(customer.Unverified)
	next.ID, next.CreatedAt, next.UpdatedAt = owner.ID, owner.CreatedAt, now
	next.Reset, next.RecoveredAt = owner.Reset, owner.RecoveredAt
	due, err := c.linker.Due(ctx, owner, job.ID)
	if err != nil {
		return outbox.Message{}, false, err
	}
	var msg outbox.Message
	if due {
		var link customer.Link
		if link, msg, err = c.linker.Mint(ctx, next, now, job.ID); err != nil {
			return outbox.Message{}, false, err
		}
		next.Link, next.VoidedLinks = owner.WithLink(link)
	} else {
		next.Link, next.VoidedLinks = owner.Link, owner.VoidedLinks
	}
	if owner.Vat != nil && owner.Vat.Number == next.Profile.VatNumber {
		next.Vat = owner.Vat // the same number, checked already (or under way)
	}
	check, err := vat.StartCheck(c.settings.Vat.EUVat, c.random, now, &next)
	if err != nil {
		return outbox.Message{}, false, err
	}
	comp := Completion{Registration: p, Outcome: Replaced, Customer: next, Previous: &owner, Consents: p.consentsOf(owner.ID),
		Activity: customer.Activity{CustomerID: owner.ID, Type: customer.ActivityRegistrationReplaced, At: p.CreatedAt,
			Detail: map[string]string{"sourceIp": p.SourceIP}}}
	if check != nil {
		comp.Outbox = append(comp.Outbox, *check)
	}
	if err := c.completeAccount(ctx, p, comp, now); err != nil {
		return outbox.Message{}, false, err
	}
	return msg, due, nil
}

// handOver prepares the hand-over of the registration's guest to the
// account it becomes (checkout registration). An attempt on a verified
// account hands nothing over: the guest keeps its cart.
func (c *Completer) handOver(ctx context.Context, p Pending, customerID string) (*cart.HandOver, error) {
	if p.GuestID == "" || c.handOvers == nil {
		return nil, nil
	}
	return c.handOvers.HandOver(ctx, p.GuestID, customerID)
}

// notice tells the verified owner of the address that someone tried to
// register it, at most once per NoticeInterval. owner is nil on a retry.
func (c *Completer) notice(ctx context.Context, p Pending, job outbox.Message, owner *customer.Customer) (outbox.Message, bool, error) {
	if owner == nil {
		o, err := c.store.Customer(ctx, p.CustomerID)
		if errors.Is(err, customer.ErrNotFound) {
			return outbox.Message{}, false, nil
		}
		if err != nil {
			return outbox.Message{}, false, err
		}
		owner = &o
	} else {
		comp := Completion{Registration: p, Outcome: Notified, Customer: *owner,
			Activity: customer.Activity{CustomerID: owner.ID, Type: customer.ActivityRegisterAgain, At: p.CreatedAt,
				Detail: map[string]string{"sourceIp": p.SourceIP}}}
		if err := c.store.Complete(ctx, comp); err != nil {
			return outbox.Message{}, false, err
		}
	}
	now := c.now().UTC()
	fresh, err := c.store.ClaimNotice(ctx, customer.NormalizeLogin(owner.Email), job.ID, now, NoticeInterval)
	if err != nil {
		return outbox.Message{}, false, err
	}
	if !fresh {
		c.log.InfoContext(ctx, "owner notice skipped: one went out within the hour", "customerId", owner.ID, "jobId", job.ID)
		return outbox.Message{}, false, nil
	}
	return outbox.New("", now, outbox.To(*owner), mail.AccountExistsNotice{}), true, nil
}
