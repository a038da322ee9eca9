package admin

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/password/legacy"
	"github.com/openreg/registration/internal/profile"
)

// MaxImport is how many customers one import call takes.
const MaxImport = 100

// ImportEntry is one customer of an import, as the old shop had it.
type ImportEntry struct {
	Email string
	// ExternalID is the customer's id in the old shop: an entry whose id
	// was imported before is skipped (imports are idempotent by it).
	ExternalID    string
	StoreID       string
	EmailVerified bool
	Profile       customer.Profile
	Attributes    map[string]string
	Language      string
	// CreatedAt is when the customer registered in the old shop (zero:
	// now).
	CreatedAt time.Time
	Consents  []ImportedConsent
	// Newsletters are the newsletter types the customer subscribed to.
	Newsletters []string
	// PasswordHash is the old shop's hash (nil: the customer signs in
	// after a password reset, or an invitation).
	PasswordHash *legacy.Input
}

// ImportedConsent is a consent the customer gave in the old shop.
type ImportedConsent struct {
	ID string
	// Version is the text's version (or the text) the customer agreed to.
	Version string
	GivenAt time.Time
}

// Skip is an entry an import left out, by its index in the call, and why.
type Skip struct {
	Index int    `json:"index"`
	Code  string `json:"code"`
}

// ImportResult is what an import call did.
type ImportResult struct {
	// Batch names the call in the activity entries it wrote.
	Batch    string
	Imported int
	Skipped  []Skip
}

// The codes of skipped entries besides the field and hash problems.
const (
	SkipAlreadyImported = "already_imported"
	SkipEmailTaken      = "email_taken"
	SkipUnknownStore    = "unknown_store"
	SkipInvalidID       = "invalid_external_id"
	SkipFutureDate      = "created_in_future"
	// SkipNotAttempted: the call ran short of time before the entry (the
	// function's deadline came near); send it again.
	SkipNotAttempted = "not_attempted"
)

// importMargin is the time an import call keeps in hand before its
// deadline: an entry is not begun with less left (one entry's hashing and
// write take well under it).
const importMargin = 2 * time.Second

var externalIDPattern = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// Import creates the accounts of customers from another shop, each in one
// write with its consents, subscriptions, activity entry (naming the
// operator and the batch) and customer.imported event, and skips an entry
// it cannot take with a stable code: never the whole call for one entry.
// Imported accounts never expire unverified; nothing is mailed unless
// invite, and then the unverified ones get their link (an invitation to
// choose a password when none came), under the per-address cap of every
// link. Near the call's deadline it begins no more entries and answers the
// rest not_attempted, to be sent again. A dependency failure stops the call with what it did so far
// unreported: the caller sends the batch again, and what was imported is
// then skipped as already_imported.
func (s *Service) Import(ctx context.Context, op Operator, entries []ImportEntry, invite bool) (ImportResult, error) {
	if len(entries) > MaxImport {
		return ImportResult{}, apperr.Invalid([]apperr.FieldError{{Field: "customers", Code: "too_many",
			Message: "An import call takes at most 100 customers."}})
	}
	batch, err := s.id()
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Batch: batch}
	deadline, bounded := ctx.Deadline()
	for i, e := range entries {
		if bounded && time.Until(deadline) < importMargin {
			res.Skipped = append(res.Skipped, Skip{Index: i, Code: SkipNotAttempted})
			continue
		}
		code, err := s.importOne(ctx, op, batch, e, invite)
		if err != nil {
			return ImportResult{}, err
		}
		if code != "" {
			res.Skipped = append(res.Skipped, Skip{Index: i, Code: code})
			continue
		}
		res.Imported++
	}
	return res, nil
}

// importOne imports one entry: the code it is skipped with, or "".
func (s *Service) importOne(ctx context.Context, op Operator, batch string, e ImportEntry, invite bool) (string, error) {
	now := s.now().UTC()
	var f apperr.Fields
	email := customer.CheckEmail(&f, "email", e.Email)
	fields, attrs, _, err := profile.Check(s.settings, now, e.Profile, e.Attributes, nil)
	if err != nil {
		f = append(f, apperr.As(err).Fields...)
	}
	newsletters := profile.CheckNewsletters(s.settings, &f, e.Newsletters)
	if len(f) > 0 {
		return f[0].Code, nil
	}
	storeID := e.StoreID
	switch {
	case storeID == "":
		storeID = s.settings.DefaultStoreID
	case storeID != s.settings.DefaultStoreID:
		return SkipUnknownStore, nil
	}
	if e.ExternalID != "" && !externalIDPattern.MatchString(e.ExternalID) {
		return SkipInvalidID, nil
	}
	created := e.CreatedAt.UTC()
	if created.IsZero() {
		created = now
	}
	if created.After(now) {
		return SkipFutureDate, nil
	}
	hash := ""
	if e.PasswordHash != nil {
		if hash, err = s.hasher.Import(*e.PasswordHash); err != nil {
			if code := legacy.Code(err); code != "" {
				return code, nil
			}
			return "", apperr.Wrap(apperr.Internal, "Could not import.", err)
		}
	}
	id, err := s.id()
	if err != nil {
		return "", err
	}
	c := customer.Customer{ID: id, StoreID: storeID, Email: email, Status: customer.Unverified, ByOperator: true,
		PasswordHash: hash, Language: s.settings.Language([]string{e.Language}), Profile: fields, Attributes: attrs,
		Newsletters: newsletters, CreatedAt: created, UpdatedAt: now}
	if e.EmailVerified {
		c.Status, c.EmailVerifiedAt = customer.Active, created
	}
	acc := account.Creation{Customer: c, EmailKey: customer.NormalizeLogin(email),
		Activity: customer.Activity{CustomerID: id, Type: customer.ActivityRegistered, At: now,
			Detail: map[string]string{"admin": string(op), "registrationType": "import", "batch": batch, "externalId": e.ExternalID}}}
	if e.ExternalID != "" {
		acc.ExternalKey = storeID + "#" + e.ExternalID
	}
	for _, cn := range e.Consents {
		given := cn.GivenAt.UTC()
		if given.IsZero() {
			given = created
		}
		msg := "imported"
		if cn.Version != "" {
			msg = "imported: " + cn.Version
		}
		acc.Consents = append(acc.Consents, customer.ConsentRecord{CustomerID: id, ConsentID: cn.ID, Agreed: true, Message: msg, At: given})
	}
	// A consent the store requires that the old shop did not record is
	// logged as not given: the storefront may ask for it, and the log never
	// claims an agreement nobody made.
	for _, req := range s.settings.Consents {
		if req.Required && !slices.ContainsFunc(e.Consents, func(c ImportedConsent) bool { return c.ID == req.ID }) {
			acc.Consents = append(acc.Consents, customer.ConsentRecord{CustomerID: id, ConsentID: req.ID, Agreed: false,
				Message: "imported: not given in the old shop", At: now})
		}
	}
	if len(newsletters) > 0 {
		have, err := s.store.Subscriptions(ctx, storeID, acc.EmailKey)
		if err != nil {
			return "", err
		}
		if acc.Subscriptions, err = customer.Subscribe(have, storeID, email, c.Language, newsletters, e.EmailVerified, now, s.random); err != nil {
			return "", apperr.Wrap(apperr.Internal, "Could not import.", err)
		}
	}
	if addr, err := profile.DefaultAddress(s.settings, email, fields, now, s.random); err != nil {
		return "", err
	} else if addr != nil {
		acc.Customer.Addresses = []customer.Address{*addr}
		acc.Customer.BillingAddressID, acc.Customer.ShippingAddressID = addr.ID, addr.ID
	}
	if invite && !e.EmailVerified {
		jobID, err := s.id()
		if err != nil {
			return "", err
		}
		acc.Outbox = []outbox.Message{outbox.New(jobID, now, outbox.Recipient{},
			account.VerificationLinkJob{CustomerID: id, StoreID: storeID, Invitation: hash == ""})}
	}
	if acc.Events, err = event.Of(s.random, id, storeID, now, event.Spec{Type: event.Imported,
		Changes: map[string]any{"status": string(c.Status), "emailVerified": e.EmailVerified, "withPassword": hash != ""}}); err != nil {
		return "", apperr.Wrap(apperr.Internal, "Could not import.", err)
	}
	switch err := s.store.CreateAccount(ctx, acc); {
	case errors.Is(err, account.ErrAlreadyImported):
		return SkipAlreadyImported, nil
	case errors.Is(err, account.ErrEmailTaken):
		return SkipEmailTaken, nil
	case err != nil:
		return "", err
	}
	return "", nil
}
