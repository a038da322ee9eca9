package shopping

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/guest"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"

	"github.com/openreg/registration/internal/cart"
)

// Store keeps guests and carts.
type Store interface {
	// Guest returns a guest and its cart lines, or guest.ErrNotFound.
	Guest(ctx context.Context, id string) (guest.Guest, []cart.Line, error)
	// CreateGuest stores a new guest with lines, counted on limit (nil:
	// none); *throttle.Exceeded when over it.
	CreateGuest(ctx context.Context, g guest.Guest, lines []cart.Line, limit *throttle.Counter) error
	// RefreshGuest extends a usable guest's life to expires.
	RefreshGuest(ctx context.Context, id string, expires time.Time) error
	// CustomerCart returns a customer's cart (empty, Rev 0, when it has
	// none).
	CustomerCart(ctx context.Context, customerID string) (cart.Stored, error)
	// SetLine sets a line of the owner's cart, refusing a new line past
	// maxLines (cart.ErrTooManyLines) and a guest that is no longer usable at
	// now (cart.ErrNoGuest).
	SetLine(ctx context.Context, o cart.Owner, l cart.Line, maxLines int, now time.Time) error
	// RemoveLine removes a line (a missing one is fine).
	RemoveLine(ctx context.Context, o cart.Owner, sku string, now time.Time) error
}

// Sessions is the part of the session manager the cart uses.
type Sessions interface {
	Authenticate(ctx context.Context, plain string) (session.Session, customer.Customer, error)
}

// Service resolves the shopper of a request and runs its cart.
type Service struct {
	store    Store
	sessions Sessions
	rules    cart.Rules
	strategy cart.Strategy
	lifetime time.Duration
	limit    settings.Limit
	random   io.Reader
	now      func() time.Time
}

// Deps are the collaborators of a Service.
type Deps struct {
	Settings settings.Settings
	Store    Store
	Sessions Sessions
	Random   io.Reader
	Now      func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	c := d.Settings.Cart
	return &Service{store: d.Store, sessions: d.Sessions,
		rules:    cart.Rules{MaxQuantity: c.MaxQuantity, MaxLines: c.MaxLines, SKU: c.SKURegexp()},
		strategy: cart.Strategy(c.MergeStrategy),
		lifetime: time.Duration(d.Settings.Guests.Lifetime), limit: d.Settings.ClientLimits.Guests,
		random: d.Random, now: d.Now}
}

// Request names the shopper of an HTTP request: its session, its guest id
// (cookie or header), its user agent and client address.
type Request struct {
	SessionToken string
	GuestID      string
	UserAgent    string
	SourceIP     string
}

// Shopper is who a request stands for: a signed-in customer, a guest, or
// nobody yet.
type Shopper struct {
	CustomerID string
	Guest      *guest.Guest
	// Refreshed: the guest's life was extended now, so its cookie should
	// be set again with the new expiry.
	Refreshed bool
	lines     []cart.Line
}

// cookie is the guest whose cookie the answer should (re)set, if any.
func (s Shopper) cookie() *guest.Guest {
	if s.Refreshed {
		return s.Guest
	}
	return nil
}

// Owner is the shopper's cart owner.
func (s Shopper) Owner() cart.Owner {
	if s.CustomerID != "" {
		return cart.Owner{CustomerID: s.CustomerID}
	}
	if s.Guest != nil {
		return cart.Owner{GuestID: s.Guest.ID}
	}
	return cart.Owner{}
}

// Resolve finds the shopper of a request, in the seed's order: the
// signed-in customer (active: a deactivated, deleted or signed-out one is
// no one), then the guest (a usable one; an unknown, expired, retired or
// malformed id is no guest, never an error and never someone else).
func (s *Service) Resolve(ctx context.Context, r Request) (Shopper, error) {
	if r.SessionToken != "" {
		_, c, err := s.sessions.Authenticate(ctx, r.SessionToken)
		switch {
		case err == nil && c.CanSignIn():
			return Shopper{CustomerID: c.ID}, nil
		case err != nil && apperr.CodeOf(err) != apperr.Unauthenticated:
			return Shopper{}, err
		}
	}
	return s.guestOf(ctx, r.GuestID, true)
}

// guestOf is the usable guest of an id, or no one; refresh extends its life
// when due (not for a guest about to be handed over and retired).
func (s *Service) guestOf(ctx context.Context, id string, refresh bool) (Shopper, error) {
	if !guest.ValidID(id) {
		return Shopper{}, nil
	}
	g, lines, err := s.store.Guest(ctx, id)
	if errors.Is(err, guest.ErrNotFound) {
		return Shopper{}, nil
	}
	if err != nil {
		return Shopper{}, err
	}
	now := s.now().UTC()
	if !g.Usable(now) {
		return Shopper{}, nil
	}
	if refresh && g.RefreshDue(now, s.lifetime) {
		if err := s.store.RefreshGuest(ctx, g.ID, now.Add(s.lifetime)); err != nil && !errors.Is(err, cart.ErrNoGuest) {
			return Shopper{}, err
		}
		g.ExpiresAt = now.Add(s.lifetime)
		return Shopper{Guest: &g, Refreshed: true, lines: lines}, nil
	}
	return Shopper{Guest: &g, lines: lines}, nil
}

// CreateGuest makes a guest for a request (with an affiliate, if given). A
// crawler gets none and no error: crawlers never make guest records.
func (s *Service) CreateGuest(ctx context.Context, r Request, affiliateID string) (*guest.Guest, error) {
	if code, msg := guest.AffiliateProblem(affiliateID); code != "" {
		return nil, apperr.Invalid([]apperr.FieldError{{Field: "affiliateId", Code: code, Message: msg}})
	}
	return s.newGuest(ctx, r, affiliateID, nil)
}

func (s *Service) newGuest(ctx context.Context, r Request, affiliateID string, lines []cart.Line) (*guest.Guest, error) {
	if guest.IsCrawler(r.UserAgent) {
		return nil, nil
	}
	id, err := customer.NewID(s.random)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	now := s.now().UTC()
	g := guest.Guest{ID: id, AffiliateID: affiliateID, CreatedAt: now, ExpiresAt: now.Add(s.lifetime)}
	var limit *throttle.Counter
	if c, on := throttle.NewCounter(throttle.ClientGuests, s.limit, now, throttle.ClientOf(r.SourceIP)); on && r.SourceIP != "" {
		limit = &c
	}
	var ex *throttle.Exceeded
	switch err := s.store.CreateGuest(ctx, g, lines, limit); {
	case errors.As(err, &ex):
		return nil, &apperr.Error{Code: apperr.TooManyRequests, Message: "Too many new guests from this address; try again later.", RetryAfter: ex.RetryAfter()}
	case err != nil:
		return nil, err
	}
	return &g, nil
}

// Cart returns the shopper's lines, in SKU order, and the guest whose
// cookie to set again when its life was extended.
func (s *Service) Cart(ctx context.Context, r Request) ([]cart.Line, *guest.Guest, error) {
	sh, err := s.Resolve(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	lines, err := s.linesOf(ctx, sh)
	return lines, sh.cookie(), err
}

func (s *Service) linesOf(ctx context.Context, sh Shopper) ([]cart.Line, error) {
	switch {
	case sh.CustomerID != "":
		c, err := s.store.CustomerCart(ctx, sh.CustomerID)
		return cart.Sorted(c.Lines), err
	case sh.Guest != nil:
		return cart.Sorted(sh.lines), nil
	}
	return []cart.Line{}, nil
}

// SetLine sets a line of the shopper's cart and returns the cart, and the
// guest whose cookie to set: the one it created when the request had no
// shopper (none for a crawler, whose cart stays empty and unstored), or
// the one whose life it extended.
func (s *Service) SetLine(ctx context.Context, r Request, sku string, quantity int) ([]cart.Line, *guest.Guest, error) {
	if err := s.rules.CheckLine(sku, quantity); err != nil {
		return nil, nil, err
	}
	sh, err := s.Resolve(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	line := cart.Line{SKU: sku, Quantity: quantity}
	if sh.Owner() == (cart.Owner{}) {
		g, err := s.newGuest(ctx, r, "", []cart.Line{line})
		if err != nil || g == nil {
			return []cart.Line{}, nil, err
		}
		return []cart.Line{line}, g, nil
	}
	switch err := s.store.SetLine(ctx, sh.Owner(), line, s.rules.MaxLines, s.now().UTC()); {
	case errors.Is(err, cart.ErrTooManyLines):
		return nil, nil, s.rules.TooManyLines()
	case errors.Is(err, cart.ErrNoGuest): // retired or expired meanwhile: a new guest
		g, err := s.newGuest(ctx, r, "", []cart.Line{line})
		if err != nil || g == nil {
			return []cart.Line{}, nil, err
		}
		return []cart.Line{line}, g, nil
	case err != nil:
		return nil, nil, err
	}
	lines, err := s.ownerLines(ctx, sh.Owner())
	return lines, sh.cookie(), err
}

// ownerLines reads an owner's lines after a write (the shopper is known: no
// session or guest to resolve again).
func (s *Service) ownerLines(ctx context.Context, o cart.Owner) ([]cart.Line, error) {
	if o.CustomerID != "" {
		c, err := s.store.CustomerCart(ctx, o.CustomerID)
		return cart.Sorted(c.Lines), err
	}
	_, lines, err := s.store.Guest(ctx, o.GuestID)
	if errors.Is(err, guest.ErrNotFound) {
		return []cart.Line{}, nil
	}
	return cart.Sorted(lines), err
}

// RemoveLine removes a line from the shopper's cart and returns the cart.
func (s *Service) RemoveLine(ctx context.Context, r Request, sku string) ([]cart.Line, error) {
	if !s.rules.SKU.MatchString(sku) {
		return nil, apperr.Invalid([]apperr.FieldError{{Field: "sku", Code: "invalid_sku", Message: "This is not a SKU of this store."}})
	}
	sh, err := s.Resolve(ctx, r)
	if err != nil || sh.Owner() == (cart.Owner{}) {
		return []cart.Line{}, err
	}
	switch err := s.store.RemoveLine(ctx, sh.Owner(), sku, s.now().UTC()); {
	case errors.Is(err, cart.ErrNoGuest): // retired or expired meanwhile: no cart
		return []cart.Line{}, nil
	case err != nil:
		return nil, err
	}
	return s.ownerLines(ctx, sh.Owner())
}

// HandOver prepares the hand-over of the guest a request carries to a
// customer; nil when the request carries no usable guest.
func (s *Service) HandOver(ctx context.Context, guestID, customerID string) (*cart.HandOver, error) {
	sh, err := s.guestOf(ctx, guestID, false)
	if err != nil || sh.Guest == nil {
		return nil, err
	}
	have, err := s.store.CustomerCart(ctx, customerID)
	if err != nil {
		return nil, err
	}
	lines, merged := cart.Merge(s.strategy, have.Lines, sh.lines, s.rules)
	aff := have.AffiliateID
	if aff == "" {
		aff = sh.Guest.AffiliateID
	}
	return &cart.HandOver{GuestID: sh.Guest.ID, CustomerID: customerID, Lines: lines, AffiliateID: aff, Rev: have.Rev,
		At: s.now().UTC(), Merged: merged}, nil
}
