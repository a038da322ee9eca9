package verification_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/verification"
)

// fakeStore is an in-memory verification.Store. Its Confirm checks the same
// conditions as the real one (token unused and unexpired, customer
// Unverified) and returns ErrConflict otherwise.
type fakeStore struct {
	tokens    map[string]verification.Token
	customers map[string]customer.Customer

	reads    int // VerificationToken and Customer calls
	confirms []verification.Confirmation

	// beforeConfirm runs inside Confirm before its checks: a concurrent
	// request winning the race.
	beforeConfirm func(s *fakeStore)
	// confirmErr, when set, is returned by every Confirm.
	confirmErr error
	// readErr, when set, is returned by VerificationToken.
	readErr error
}

func newFakeStore() *fakeStore {
	return &fakeStore{tokens: map[string]verification.Token{}, customers: map[string]customer.Customer{}}
}

func (s *fakeStore) VerificationToken(_ context.Context, digest string) (verification.Token, error) {
	s.reads++
	if s.readErr != nil {
		return verification.Token{}, s.readErr
	}
	t, ok := s.tokens[digest]
	if !ok {
		return verification.Token{}, verification.ErrNotFound
	}
	return t, nil
}

func (s *fakeStore) Customer(_ context.Context, id string) (customer.Customer, error) {
	s.reads++
	c, ok := s.customers[id]
	if !ok {
		return customer.Customer{}, customer.ErrNotFound
	}
	return c, nil
}

func (s *fakeStore) Confirm(_ context.Context, c verification.Confirmation) error {
	s.confirms = append(s.confirms, c)
	if s.beforeConfirm != nil {
		s.beforeConfirm(s)
	}
	if s.confirmErr != nil {
		return s.confirmErr
	}
	t, ok := s.tokens[c.Digest]
	cust, cok := s.customers[c.CustomerID]
	if !ok || !cok || !t.UsedAt.IsZero() || !c.At.Before(t.ExpiresAt) || t.CustomerID != c.CustomerID || cust.Status != customer.Unverified {
		return verification.ErrConflict
	}
	t.UsedAt = c.At
	s.tokens[c.Digest] = t
	cust.Status = c.Next
	cust.EmailVerifiedAt = c.At
	s.customers[c.CustomerID] = cust
	return nil
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var now = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)

// fakeOutbox records what was flushed.
type fakeOutbox struct{ flushed []mail.Message }

func (o *fakeOutbox) Flush(_ context.Context, msgs []mail.Message) {
	o.flushed = append(o.flushed, msgs...)
}

type fixture struct {
	outbox *fakeOutbox
	store  *fakeStore
	clock  *clock
	svc    *verification.Service
	gen    *token.Generator
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: newFakeStore(), clock: &clock{t: now}, gen: token.NewGenerator(rand.NewChaCha8([32]byte{7}))}
	f.outbox = &fakeOutbox{}
	f.svc = verification.New(f.store, f.outbox, rand.NewChaCha8([32]byte{9}), f.clock.Now)
	return f
}

// addToken stores a customer and a verification token for it and returns the
// plain token.
func (f *fixture) addToken(t *testing.T, c customer.Customer, expiresAt, usedAt time.Time) string {
	t.Helper()
	plain, digest, err := f.gen.New()
	if err != nil {
		t.Fatal(err)
	}
	f.store.customers[c.ID] = c
	f.store.tokens[digest] = verification.Token{Digest: digest, CustomerID: c.ID, ExpiresAt: expiresAt, UsedAt: usedAt}
	return plain
}

func wantCode(t *testing.T, err error, want apperr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := apperr.CodeOf(err); got != want {
		t.Fatalf("got error code %s (%v), want %s", got, err, want)
	}
}

func TestConfirmRefusesBadTokens(t *testing.T) {
	tests := []struct {
		name      string
		plain     string
		wantCode  apperr.Code
		wantReads int
	}{
		{"an empty token is invalid without a store read", "", apperr.TokenInvalid, 0},
		{"a token of the wrong length is invalid without a store read", "abc", apperr.TokenInvalid, 0},
		{"a token with characters outside base64url is invalid without a store read", strings.Repeat("!", 43), apperr.TokenInvalid, 0},
		{"a well-formed but unknown token is invalid", strings.Repeat("A", 43), apperr.TokenInvalid, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Confirm(context.Background(), tt.plain)
			wantCode(t, err, tt.wantCode)
			if f.store.reads != tt.wantReads {
				t.Errorf("got %d store reads, want %d", f.store.reads, tt.wantReads)
			}
			if len(f.store.confirms) != 0 {
				t.Errorf("got %d Confirm calls, want none", len(f.store.confirms))
			}
		})
	}
}

func TestCheckShape(t *testing.T) {
	tests := []struct {
		name  string
		plain string
		want  apperr.Code // "" for no error
	}{
		{"garbage is token_invalid", "<script>", apperr.TokenInvalid},
		{"a token of 43 base64url characters passes", strings.Repeat("x", 43), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verification.CheckShape(tt.plain)
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			wantCode(t, err, tt.want)
		})
	}
}

func TestConfirm(t *testing.T) {
	unverified := customer.Customer{ID: "c1", Status: customer.Unverified}
	needsApproval := customer.Customer{ID: "c1", Status: customer.Unverified, RequiresApproval: true}
	withStatus := func(s customer.Status) customer.Customer { return customer.Customer{ID: "c1", Status: s} }
	later := now.Add(time.Hour)
	earlier := now.Add(-time.Hour)

	tests := []struct {
		name      string
		cust      customer.Customer
		expiresAt time.Time
		usedAt    time.Time
		want      verification.Result
		wantCode  apperr.Code     // "" when Confirm succeeds
		wantNext  customer.Status // "" when the store's Confirm must not be called
	}{
		{name: "a valid token activates an unverified customer",
			cust: unverified, expiresAt: later,
			want: verification.Result{Status: customer.Active}, wantNext: customer.Active},
		{name: "a valid token of an account needing approval leads to pending approval",
			cust: needsApproval, expiresAt: later,
			want: verification.Result{Status: customer.PendingApproval}, wantNext: customer.PendingApproval},
		{name: "a token one second before its expiry is still valid",
			cust: unverified, expiresAt: now.Add(time.Second),
			want: verification.Result{Status: customer.Active}, wantNext: customer.Active},
		{name: "a token at exactly its expiry has expired",
			cust: unverified, expiresAt: now, wantCode: apperr.TokenExpired},
		{name: "a token after its expiry has expired",
			cust: unverified, expiresAt: earlier, wantCode: apperr.TokenExpired},
		{name: "a used token of an active account answers already verified",
			cust: withStatus(customer.Active), expiresAt: later, usedAt: earlier,
			want: verification.Result{Status: customer.Active, AlreadyVerified: true}},
		{name: "a used token of an account pending approval answers already verified",
			cust: customer.Customer{ID: "c1", Status: customer.PendingApproval, RequiresApproval: true}, expiresAt: later, usedAt: earlier,
			want: verification.Result{Status: customer.PendingApproval, AlreadyVerified: true}},
		{name: "a used and since expired token of an active account still answers already verified",
			cust: withStatus(customer.Active), expiresAt: earlier, usedAt: earlier.Add(-time.Hour),
			want: verification.Result{Status: customer.Active, AlreadyVerified: true}},
		{name: "a used token of a deactivated account is invalid",
			cust: withStatus(customer.Deactivated), expiresAt: later, usedAt: earlier, wantCode: apperr.TokenInvalid},
		{name: "an unused token of an account verified through another token answers already verified",
			cust: withStatus(customer.Active), expiresAt: later,
			want: verification.Result{Status: customer.Active, AlreadyVerified: true}},
		{name: "an unused but expired token of an account verified through another token answers already verified",
			cust: withStatus(customer.Active), expiresAt: earlier,
			want: verification.Result{Status: customer.Active, AlreadyVerified: true}},
		{name: "an unused token of a deactivated account is invalid",
			cust: withStatus(customer.Deactivated), expiresAt: later, wantCode: apperr.TokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			plain := f.addToken(t, tt.cust, tt.expiresAt, tt.usedAt)
			got, err := f.svc.Confirm(context.Background(), plain)
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
			} else if err != nil {
				t.Fatalf("got error %v, want %+v", err, tt.want)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}

			if tt.wantNext == "" {
				if len(f.store.confirms) != 0 {
					t.Errorf("got Confirm calls %+v, want none", f.store.confirms)
				}
				return
			}
			wantConf := []verification.Confirmation{{Digest: token.Digest(plain), CustomerID: "c1", Next: tt.wantNext, At: now}}
			if len(f.store.confirms) != 1 || !sameConfirmation(f.store.confirms[0], wantConf[0]) {
				t.Errorf("got Confirm calls %+v, want %+v", f.store.confirms, wantConf)
			}
			if got := f.store.customers["c1"].Status; got != tt.wantNext {
				t.Errorf("got stored status %s, want %s", got, tt.wantNext)
			}
		})
	}
}

func TestConfirmTwice(t *testing.T) {
	t.Run("the second click on the same link answers already verified without a second write", func(t *testing.T) {
		f := newFixture(t)
		plain := f.addToken(t, customer.Customer{ID: "c1", Status: customer.Unverified}, now.Add(time.Hour), time.Time{})
		first, err := f.svc.Confirm(context.Background(), plain)
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.svc.Confirm(context.Background(), plain)
		if err != nil {
			t.Fatal(err)
		}
		if want := (verification.Result{Status: customer.Active}); first != want {
			t.Errorf("got first %+v, want %+v", first, want)
		}
		if want := (verification.Result{Status: customer.Active, AlreadyVerified: true}); second != want {
			t.Errorf("got second %+v, want %+v", second, want)
		}
		if len(f.store.confirms) != 1 {
			t.Errorf("got %d Confirm calls, want 1", len(f.store.confirms))
		}
	})
}

func TestConfirmRace(t *testing.T) {
	t.Run("losing the race to a concurrent click reads again and answers already verified", func(t *testing.T) {
		f := newFixture(t)
		plain := f.addToken(t, customer.Customer{ID: "c1", Status: customer.Unverified}, now.Add(time.Hour), time.Time{})
		digest := token.Digest(plain)
		won := false
		f.store.beforeConfirm = func(s *fakeStore) {
			if won {
				return
			}
			won = true
			// The other click commits first.
			tok := s.tokens[digest]
			tok.UsedAt = now
			s.tokens[digest] = tok
			c := s.customers["c1"]
			c.Status = customer.Active
			s.customers["c1"] = c
		}
		got, err := f.svc.Confirm(context.Background(), plain)
		if err != nil {
			t.Fatalf("got error %v, want already verified", err)
		}
		if want := (verification.Result{Status: customer.Active, AlreadyVerified: true}); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if len(f.store.confirms) != 1 {
			t.Errorf("got %d Confirm calls, want 1 (the retry must not write again)", len(f.store.confirms))
		}
	})

	t.Run("a conflict on both attempts is reported as unavailable", func(t *testing.T) {
		f := newFixture(t)
		plain := f.addToken(t, customer.Customer{ID: "c1", Status: customer.Unverified}, now.Add(time.Hour), time.Time{})
		f.store.confirmErr = verification.ErrConflict
		_, err := f.svc.Confirm(context.Background(), plain)
		wantCode(t, err, apperr.Unavailable)
		if len(f.store.confirms) != 2 {
			t.Errorf("got %d Confirm calls, want 2 (one retry)", len(f.store.confirms))
		}
	})
}

func TestConfirmStoreFailures(t *testing.T) {
	down := apperr.New(apperr.Unavailable, "database down")
	tests := []struct {
		name  string
		setup func(s *fakeStore)
	}{
		{"a failing token read is returned", func(s *fakeStore) { s.readErr = down }},
		{"a failing confirm write is returned without a retry", func(s *fakeStore) { s.confirmErr = down }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			plain := f.addToken(t, customer.Customer{ID: "c1", Status: customer.Unverified}, now.Add(time.Hour), time.Time{})
			tt.setup(f.store)
			_, err := f.svc.Confirm(context.Background(), plain)
			if !errors.Is(err, down) {
				t.Errorf("got %v, want the store's error", err)
			}
			if len(f.store.confirms) > 1 {
				t.Errorf("got %d Confirm calls, want at most 1", len(f.store.confirms))
			}
		})
	}
}

func TestConfirmTokenOfDeletedCustomer(t *testing.T) {
	t.Run("a token whose customer no longer exists is invalid, not an internal error", func(t *testing.T) {
		f := newFixture(t)
		plain := f.addToken(t, customer.Customer{ID: "gone", Status: customer.Unverified}, now.Add(time.Hour), time.Time{})
		delete(f.store.customers, "gone")
		_, err := f.svc.Confirm(context.Background(), plain)
		wantCode(t, err, apperr.TokenInvalid)
	})
}

func TestConfirmSendsWelcome(t *testing.T) {
	t.Run("an account that becomes active gets a welcome mail stored with the change and flushed", func(t *testing.T) {
		f := newFixture(t)
		c := customer.Customer{ID: "c1", Email: "ada@example.com", Status: customer.Unverified, Language: "de",
			Profile: customer.Profile{FirstName: "Ada"}}
		plain := f.addToken(t, c, now.Add(time.Hour), time.Time{})
		if _, err := f.svc.Confirm(context.Background(), plain); err != nil {
			t.Fatal(err)
		}
		if len(f.store.confirms) != 1 || len(f.store.confirms[0].Outbox) != 1 {
			t.Fatalf("confirmations = %+v", f.store.confirms)
		}
		w := f.store.confirms[0].Outbox[0]
		if w.Kind != mail.Welcome || w.To != "ada@example.com" || w.Language != "de" || w.FirstName != "Ada" || w.ID == "" {
			t.Errorf("welcome = %+v", w)
		}
		if len(f.outbox.flushed) != 1 || f.outbox.flushed[0].ID != w.ID {
			t.Errorf("flushed = %+v", f.outbox.flushed)
		}
	})
	t.Run("an account that still needs approval gets no welcome yet", func(t *testing.T) {
		f := newFixture(t)
		plain := f.addToken(t, customer.Customer{ID: "c1", Status: customer.Unverified, RequiresApproval: true}, now.Add(time.Hour), time.Time{})
		if _, err := f.svc.Confirm(context.Background(), plain); err != nil {
			t.Fatal(err)
		}
		if len(f.store.confirms[0].Outbox) != 0 || len(f.outbox.flushed) != 0 {
			t.Errorf("outbox = %+v, flushed %+v", f.store.confirms[0].Outbox, f.outbox.flushed)
		}
	})
}

// sameConfirmation compares confirmations without their outbox (checked on
// its own in TestConfirmSendsWelcome).
func sameConfirmation(a, b verification.Confirmation) bool {
	a.Outbox, b.Outbox = nil, nil
	return reflect.DeepEqual(a, b)
}
