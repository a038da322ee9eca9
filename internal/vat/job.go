package vat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
)

// The check's schedule: VIES (or a member state's system behind it) that
// cannot answer is asked again after 2, 8 and 32 minutes; the fourth
// attempt that finds it unavailable gives up, and the number stays unknown.
// Four attempts fit in the mail queue's five receives, so a check never
// ends in the dead-letter queue for an outage.
const (
	MaxAttempts = 4
	firstRetry  = 2 * time.Minute
)

// RetryDelay is the wait after the attempt-th unanswered call.
func RetryDelay(attempt int) time.Duration {
	d := firstRetry
	for i := 1; i < attempt; i++ {
		d *= 4
	}
	return d
}

// ErrConflict is returned by a Store when the customer changed since it was
// read.
var ErrConflict = errors.New("vat: the customer changed")

// Store is what the check reads and writes.
type Store interface {
	Customer(ctx context.Context, id string) (customer.Customer, error)
	// RecordVat stores check on the customer, with updatedAt at, if the
	// customer is still as read (updatedAt) and its VAT number still
	// check.Number; ErrConflict otherwise.
	RecordVat(ctx context.Context, read customer.Customer, check customer.VatCheck, at time.Time) error
}

// Checker asks VIES about customers' VAT numbers: the mailer's VatCheckJob
// handler.
type Checker struct {
	store Store
	vies  *VIES
	// owner receives the new-VAT notice (nil: the store does not ask for
	// it).
	owner *outbox.Recipient
	now   func() time.Time
	log   *slog.Logger
}

// NewChecker returns a Checker; owner is nil when the store owner is not
// told.
func NewChecker(store Store, vies *VIES, owner *outbox.Recipient, now func() time.Time, log *slog.Logger) *Checker {
	return &Checker{store: store, vies: vies, owner: owner, now: now, log: log}
}

// Run checks a CheckJob's number and returns the owner's notice when one
// is due. An unavailable VIES is a *outbox.RetryLater until the last attempt.
func (c *Checker) Run(ctx context.Context, _ outbox.Message, j CheckJob) (*outbox.Message, error) {
	for range 3 {
		msg, due, err := c.check(ctx, j)
		if !errors.Is(err, ErrConflict) {
			return outbox.Due(msg, due, err)
		}
	}
	return nil, errors.New("vat: the customer kept changing")
}

func (c *Checker) check(ctx context.Context, j CheckJob) (outbox.Message, bool, error) {
	cust, err := c.store.Customer(ctx, j.CustomerID)
	if errors.Is(err, customer.ErrNotFound) {
		return outbox.Message{}, false, nil
	}
	if err != nil {
		return outbox.Message{}, false, err
	}
	switch {
	case cust.Status == customer.Deleted || cust.Profile.VatNumber != j.Number:
		return outbox.Message{}, false, nil // erased, or a newer number has a job of its own
	case cust.Vat.Done(j.Number):
		// Checked before; the notice's send is what failed.
		return c.notice(cust, *cust.Vat)
	}
	check := customer.VatCheck{Number: j.Number, Status: customer.VatUnknown}
	if cust.Vat != nil && cust.Vat.Number == j.Number {
		check.Attempts = cust.Vat.Attempts
	}
	now := c.now().UTC()
	answer, err := c.vies.Check(ctx, j.Number)
	var down *Unavailable
	switch {
	case errors.As(err, &down):
		check.Attempts++
		check.LastError = down.Reason
		if check.Attempts < MaxAttempts {
			if err := c.store.RecordVat(ctx, cust, check, customer.Later(now, cust.UpdatedAt)); err != nil {
				return outbox.Message{}, false, err
			}
			c.log.WarnContext(ctx, "VIES unavailable; the check runs again later", "customerId", cust.ID,
				"attempt", check.Attempts, "reason", down.Reason)
			return outbox.Message{}, false, &outbox.RetryLater{After: RetryDelay(check.Attempts), Reason: "VIES: " + down.Reason}
		}
		c.log.WarnContext(ctx, "VIES unavailable at the last attempt; the number stays unknown", "customerId", cust.ID, "reason", down.Reason)
		check.CheckedAt = now
	case err != nil:
		return outbox.Message{}, false, err
	default:
		check.Status, check.Name, check.Address, check.CheckedAt = answer.Status, answer.Name, answer.Address, now
	}
	if err := c.store.RecordVat(ctx, cust, check, customer.Later(now, cust.UpdatedAt)); err != nil {
		return outbox.Message{}, false, err
	}
	return c.notice(cust, check)
}

// notice is the store owner's mail about a checked number, if asked for.
func (c *Checker) notice(cust customer.Customer, check customer.VatCheck) (outbox.Message, bool, error) {
	if c.owner == nil {
		return outbox.Message{}, false, nil
	}
	return outbox.New("", c.now().UTC(), *c.owner, mail.NewVatNotice{
		About: mail.Subject{Email: cust.Email, FirstName: cust.Profile.FirstName, LastName: cust.Profile.LastName,
			Company: cust.Profile.Company},
		VatNumber: check.Number, Status: string(check.Status), Name: check.Name, Address: check.Address,
	}), true, nil
}

// StartCheck starts the VIES check of a customer's (new) VAT number, where
// the store checks them (euVat): the customer's check is unknown until the
// job's answer, and the job rides in the write that creates or changes the
// customer. Nil when no check is due.
func StartCheck(euVat bool, random io.Reader, now time.Time, c *customer.Customer) (*outbox.Message, error) {
	if !euVat || c.Profile.VatNumber == "" {
		return nil, nil
	}
	if c.Vat.Done(c.Profile.VatNumber) {
		return nil, nil // this number was checked before (a replaced registration)
	}
	c.Vat = &customer.VatCheck{Number: c.Profile.VatNumber, Status: customer.VatUnknown}
	id, err := customer.NewID(random)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, "Could not start the VAT number's check.", err)
	}
	job := outbox.New(id, now, outbox.Recipient{}, CheckJob{CustomerID: c.ID, Number: c.Profile.VatNumber})
	return &job, nil
}

// CheckKind: a customer gave a VAT number; the mailer's Checker asks VIES
// about it (again later while VIES is unavailable) and stores the answer on
// the customer.
const CheckKind outbox.Kind = "vat_check"

// CheckJob asks VIES about a customer's VAT number.
type CheckJob struct {
	CustomerID string `json:"customerId"`
	Number     string `json:"number"`
}

// Kind implements outbox.Content.
func (CheckJob) Kind() outbox.Kind { return CheckKind }

// Concerns implements outbox.Concerning.
func (c CheckJob) Concerns() string { return c.CustomerID }
func (c CheckJob) Check() error {
	return outbox.Need("a customer and a number", c.CustomerID, c.Number)
}
