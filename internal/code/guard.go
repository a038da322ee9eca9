package code

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
)

// The per-address bounds, fixed: they are the guarantee the README states.
const (
	// WrongPerDay is how many wrong codes an address takes in a day; the
	// last voids every code it has.
	WrongPerDay = 5
	// MailedPerDay is how many codes are mailed to an address in a day.
	MailedPerDay = 5
)

var day = settings.Limit{Window: settings.Duration(24 * time.Hour)}

// Counter kinds (throttle): per address, hashed like every subject.
const (
	kindWrong  = "code-wrong"
	kindMailed = "code-mailed"
	kindClient = "client-codes"
	kindStore  = "store-codes"
)

// GuardStore counts and voids.
type GuardStore interface {
	// Count counts one event on c; *throttle.Exceeded when over.
	Count(ctx context.Context, c throttle.Counter) error
	// VoidCodes spends every code mailed to the address emailKey (of the
	// customer customerID, "" when none) before at.
	VoidCodes(ctx context.Context, customerID, emailKey string, at time.Time) error
}

// Guard bounds code guessing: per client and per store on every
// submission, per address on every wrong one.
type Guard struct {
	store     GuardStore
	perClient settings.Limit
	perStore  settings.Limit
	now       func() time.Time
	log       *slog.Logger
}

// NewGuard returns the Guard of a store's settings.
func NewGuard(store GuardStore, s settings.Settings, now func() time.Time, log *slog.Logger) *Guard {
	return &Guard{store: store, perClient: s.ClientLimits.Codes, perStore: s.Codes.PerStore, now: now, log: log}
}

// Invalid is the one answer to every code that does not sign in or
// confirm: wrong, unknown, spent, malformed, or an address without one.
func Invalid() error {
	return apperr.New(apperr.CodeInvalid, "This code is not valid; check it, or ask for a new one.")
}

// Submitted counts a code submission of a client on the store's
// counters: too_many_requests past either limit.
func (g *Guard) Submitted(ctx context.Context, storeID, sourceIP string) error {
	for _, c := range g.Counters(storeID, sourceIP) {
		if err := g.store.Count(ctx, c); err != nil {
			return g.Refused(ctx, storeID, err)
		}
	}
	return nil
}

// Counters are a code submission's counters (its client's, its store's),
// for a caller that counts them in a write of its own (a sign-in).
func (g *Guard) Counters(storeID, sourceIP string) []throttle.Counter {
	var out []throttle.Counter
	now := g.now()
	if c := throttle.ClientCap(kindClient, g.perClient, now, sourceIP); c != nil {
		out = append(out, *c)
	}
	if c, on := throttle.NewCounter(kindStore, g.perStore, now, storeID); on {
		out = append(out, c)
	}
	return out
}

// Refused is the answer to a write that counted Counters and was refused:
// too_many_requests, logged as a burst when the store's counter refused it
// (the CodeBurst alarm's metric filter matches that line).
func (g *Guard) Refused(ctx context.Context, storeID string, err error) error {
	g.Note(ctx, storeID, err)
	return throttle.Refusal(err)
}

// Note logs a burst when err is the store's counter refusing a write that
// counted Counters (nil Guard: nothing).
func (g *Guard) Note(ctx context.Context, storeID string, err error) {
	var ex *throttle.Exceeded
	if g != nil && errors.As(err, &ex) && ex.Counter.Kind == kindStore {
		g.log.WarnContext(ctx, "code burst: the store's code submissions are over their limit", "alert", "code_burst", "storeId", storeID)
	}
}

// Wrong counts a wrong code for an address (normalised), whether or not it
// has an account (customerID "" when none), and voids the account's codes
// on the day's last allowed one. It answers Invalid, or the store's
// failure.
func (g *Guard) Wrong(ctx context.Context, emailKey, customerID string) error {
	now := g.now()
	lim := day
	lim.Max = WrongPerDay - 1 // the fifth wrong code is the one refused here, and voids
	c, _ := throttle.NewCounter(kindWrong, lim, now, emailKey)
	var ex *throttle.Exceeded
	switch err := g.store.Count(ctx, c); {
	case errors.As(err, &ex):
		if err := g.store.VoidCodes(ctx, customerID, emailKey, now.UTC()); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	return Invalid()
}

// MayMail counts a code mailed to an address (normalised): false past
// MailedPerDay (the mail goes without one).
func (g *Guard) MayMail(ctx context.Context, emailKey string) (bool, error) {
	lim := day
	lim.Max = MailedPerDay
	c, _ := throttle.NewCounter(kindMailed, lim, g.now(), emailKey)
	var ex *throttle.Exceeded
	switch err := g.store.Count(ctx, c); {
	case errors.As(err, &ex):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
