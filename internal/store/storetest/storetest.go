// Package storetest is the store contract: one suite of behaviours every
// store of the use cases (the request path's and the mailer's) must have, run against the DynamoDB
// store on DynamoDB Local (internal/store) and against the in-memory store
// the unit tests use (internal/store/memstore). A rule either store gets
// wrong fails here, for both.
package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/shopping"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/vat"
	"github.com/openreg/registration/internal/verification"
)

// Store is what the suite exercises.
type Store interface {
	registration.Store
	signin.Store
	session.Store
	verification.Jobs
	verification.Store
	// The mailer's side.
	mail.Ledger
	verification.LinkStore
	registration.CompletionStore
	signin.CodeStore
	// My account's.
	myaccount.Store
	Suppress(ctx context.Context, addressKey, reason string, at time.Time) error
	// The VAT check's.
	vat.Store
	// Guests' and carts'.
	shopping.Store
	// The back office's reads.
	ListByStatus(ctx context.Context, storeID string, st customer.Status, limit int, cursor string) (admin.Page, error)
	ActivityPage(ctx context.Context, customerID string, limit int, cursor string) (admin.ActivityPage, error)
	// Passkeys and their challenges.
}

// Clock is the suite's settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Start is where every clock starts: ahead of the real time, so a store with
// a real TTL (DynamoDB Local runs them) never deletes what a test wrote.
var Start = time.Date(2036, 6, 1, 12, 0, 0, 0, time.UTC)

// New makes an empty store on the clock.
type New func(t *testing.T, clock *Clock) Store

// fresh returns an empty store on a clock at Start.
func (n New) fresh(t *testing.T) (Store, *Clock) {
	clock := NewClock(Start)
	return n(t, clock), clock
}

const hash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"

func newAccount(id, email, username string, status customer.Status, now time.Time) account.Creation {
	c := customer.Customer{ID: id, StoreID: "default", Email: email, Username: username, Status: status,
		PasswordHash: hash, Language: "de", Profile: customer.Profile{FirstName: "Ada"}, CreatedAt: now, UpdatedAt: now}
	acc := account.Creation{Customer: c, EmailKey: customer.NormalizeLogin(email)}
	if username != "" {
		acc.UsernameKey = customer.NormalizeLogin(username)
	}
	return acc
}

// unverified is newAccount's unverified account whose customer has a live
// verification link: digest, for an hour from now.
func unverified(id, email, username, digest string, now time.Time) account.Creation {
	acc := newAccount(id, email, username, customer.Unverified, now)
	link := customer.NewLink(digest, now, time.Hour)
	acc.Customer.Link = &link
	return acc
}

// create stores acc, or stops the test.
func create(t *testing.T, s Store, acc account.Creation) {
	t.Helper()
	if err := s.CreateAccount(context.Background(), acc); err != nil {
		t.Fatal(err)
	}
}

// failSignIn counts a failed sign-in, or stops the test.
func failSignIn(t *testing.T, s Store, a account.SignIn) {
	t.Helper()
	if err := s.SignInFailed(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

func counter(t *testing.T, kind string, max int, window time.Duration, now time.Time, subject string) throttle.Counter {
	t.Helper()
	c, on := throttle.NewCounter(kind, settings.Limit{Max: max, Window: settings.Duration(window)}, now, subject)
	if !on {
		t.Fatal("counter is off")
	}
	return c
}

// Run runs the contract against the stores newStore makes.
func Run(t *testing.T, newStore New) {
	t.Run("carts", func(t *testing.T) { runCart(t, newStore) })
	t.Run("back office", func(t *testing.T) { runAdmin(t, newStore) })
	ctx := context.Background()
	fresh := newStore.fresh

	t.Run("a created account signs in by email and by username, from its sign-in view", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "Ada@Example.com", "Ada", customer.Active, clock.Now()))
		for _, l := range []struct{ kind, key string }{{"email", "ada@example.com"}, {"username", "ada"}} {
			v, err := s.Login(ctx, l.kind, l.key)
			if err != nil || v.ID != "c1" || v.PasswordHash != hash || v.Status != customer.Active || v.StoreID != "default" || v.Language != "de" {
				t.Errorf("Login(%s) = %+v, %v; want c1's view", l.kind, v, err)
			}
		}
		if _, err := s.Login(ctx, "email", "nobody@example.com"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("unknown login: %v, want ErrNotFound", err)
		}
	})

	t.Run("a taken username is reported before a taken address, and nothing of the refused account is stored", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "ada@example.com", "ada", customer.Active, clock.Now()))
		if err := s.CreateAccount(ctx, newAccount("c2", "ada@example.com", "ada", customer.Active, clock.Now())); !errors.Is(err, account.ErrUsernameTaken) {
			t.Errorf("both taken: %v, want ErrUsernameTaken", err)
		}
		if err := s.CreateAccount(ctx, newAccount("c3", "ada@example.com", "other", customer.Active, clock.Now())); !errors.Is(err, account.ErrEmailTaken) {
			t.Errorf("address taken: %v, want ErrEmailTaken", err)
		}
		if _, err := s.Login(ctx, "username", "other"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("the refused account's username: %v, want ErrNotFound", err)
		}
	})

	t.Run("an imported external id is claimed once, before the address, and a refused import stores nothing", func(t *testing.T) {
		s, clock := fresh(t)
		first := newAccount("c1", "ada@example.com", "", customer.Active, clock.Now())
		first.ExternalKey = "default#old-7"
		create(t, s, first)
		again := newAccount("c2", "ada@example.com", "", customer.Active, clock.Now())
		again.ExternalKey = "default#old-7"
		if err := s.CreateAccount(ctx, again); !errors.Is(err, account.ErrAlreadyImported) {
			t.Errorf("the same id again: %v, want ErrAlreadyImported (before the taken address)", err)
		}
		other := newAccount("c3", "grace@example.com", "", customer.Active, clock.Now())
		other.ExternalKey = "default#old-7"
		if err := s.CreateAccount(ctx, other); !errors.Is(err, account.ErrAlreadyImported) {
			t.Errorf("the same id for another address: %v, want ErrAlreadyImported", err)
		}
		if _, err := s.Login(ctx, "email", "grace@example.com"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("the refused import's address: %v, want ErrNotFound", err)
		}
		elsewhere := newAccount("c4", "grace@example.com", "", customer.Active, clock.Now())
		elsewhere.ExternalKey = "other-store#old-7"
		create(t, s, elsewhere) // ids are the old shop's, per store
	})

	t.Run("an unverified account's logins are free once it expired", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("c1", "late@example.com", "", customer.Unverified, clock.Now())
		acc.Customer.ExpiresAt = clock.Now().Add(time.Hour)
		create(t, s, acc)
		if v, err := s.Login(ctx, "email", "late@example.com"); err != nil || v.ExpiresAt.IsZero() {
			t.Fatalf("before expiry: %+v, %v; want the view with its expiry", v, err)
		}
		clock.Advance(time.Hour)
		if _, err := s.Login(ctx, "email", "late@example.com"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("after expiry: %v, want ErrNotFound", err)
		}
		if err := s.CreateAccount(ctx, newAccount("c2", "late@example.com", "", customer.Active, clock.Now())); err != nil {
			t.Errorf("claiming the expired address: %v", err)
		}
	})

	t.Run("a pending registration reserves its username without making it a login", func(t *testing.T) {
		s, clock := fresh(t)
		p := registration.Pending{ID: "r1", Email: "p@example.com", EmailKey: "p@example.com", Username: "pat", UsernameKey: "pat",
			PasswordHash: hash, CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}
		job := outbox.New("job-r1", clock.Now(), outbox.Recipient{}, registration.CompleteJob{RegistrationID: "r1"})
		if err := s.Submit(ctx, registration.Submission{Pending: p, Job: job}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "username", "pat"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("a reserved username: %v, want ErrNotFound", err)
		}
		p2 := p
		p2.ID, p2.Email, p2.EmailKey = "r2", "q@example.com", "q@example.com"
		if err := s.Submit(ctx, registration.Submission{Pending: p2, Job: job}); !errors.Is(err, account.ErrUsernameTaken) {
			t.Errorf("a second reservation: %v, want ErrUsernameTaken", err)
		}
		if err := s.CreateAccount(ctx, newAccount("c1", "x@example.com", "pat", customer.Active, clock.Now())); !errors.Is(err, account.ErrUsernameTaken) {
			t.Errorf("an account on a reserved username: %v, want ErrUsernameTaken", err)
		}
	})

	t.Run("a failure counts on every counter, and the one at its limit refuses until its window ends", func(t *testing.T) {
		s, clock := fresh(t)
		pair := counter(t, throttle.SignInLoginClient, 2, 15*time.Minute, clock.Now(), "a")
		for i := range 2 {
			if err := s.SignInFailed(ctx, account.SignIn{Counters: []throttle.Counter{pair}, Login: "email:a", At: clock.Now()}); err != nil {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		err := s.SignInFailed(ctx, account.SignIn{Counters: []throttle.Counter{pair}, Login: "email:a", At: clock.Now()})
		var ex *throttle.Exceeded
		if !errors.As(err, &ex) || ex.Counter.Kind != throttle.SignInLoginClient || ex.RetryAfter() != pair.Ends.Sub(pair.Now) {
			t.Fatalf("over the limit: %v, want *throttle.Exceeded until the window ends", err)
		}
		clock.Advance(15 * time.Minute)
		next := counter(t, throttle.SignInLoginClient, 2, 15*time.Minute, clock.Now(), "a")
		if err := s.SignInFailed(ctx, account.SignIn{Counters: []throttle.Counter{next}, Login: "email:a", At: clock.Now()}); err != nil {
			t.Errorf("in the next window: %v", err)
		}
	})

	t.Run("a gated counter past its limit lets one event through per gate", func(t *testing.T) {
		s, clock := fresh(t)
		gated := func() throttle.Counter {
			c := counter(t, throttle.SignInLogin, 1, time.Hour, clock.Now(), "b")
			c.Gate = 3 * time.Second
			return c
		}
		fail := func() error {
			return s.SignInFailed(ctx, account.SignIn{Counters: []throttle.Counter{gated()}, Login: "email:b", At: clock.Now()})
		}
		if err := fail(); err != nil {
			t.Fatal(err)
		}
		var ex *throttle.Exceeded
		if err := fail(); !errors.As(err, &ex) || !ex.GateOpens.Equal(clock.Now().Add(3*time.Second)) {
			t.Fatalf("at once: %v, want refused until the gate opens in 3 s", err)
		}
		clock.Advance(3 * time.Second)
		if err := fail(); err != nil {
			t.Errorf("once the gate opened: %v", err)
		}
		if err := fail(); !errors.As(err, &ex) {
			t.Errorf("right after: %v, want refused again", err)
		}
	})

	t.Run("a success clears the login's counters and starts the session, which reads back with its customer", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "ok@example.com", "", customer.Active, clock.Now()))
		pair := counter(t, throttle.SignInLoginClient, 2, time.Hour, clock.Now(), "c1")
		failSignIn(t, s, account.SignIn{Counters: []throttle.Counter{pair}, At: clock.Now()})
		sess := session.Session{Digest: "d1", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour).Truncate(time.Second)}
		if err := s.SignInSucceeded(ctx, account.SignIn{Counters: []throttle.Counter{pair}, Session: &sess}); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := s.SignInFailed(ctx, account.SignIn{Counters: []throttle.Counter{pair}, At: clock.Now()}); err != nil {
				t.Fatalf("failure %d after the success: %v (the success must have cleared the count)", i+1, err)
			}
		}
		got, c, err := s.SessionOf(ctx, sess.Ref())
		if err != nil || got != sess || c.ID != "c1" || c.Email != "ok@example.com" {
			t.Fatalf("SessionOf = %+v, %+v, %v", got, c, err)
		}
		if err := s.EndSession(ctx, sess.Ref(), customer.Activity{CustomerID: "c1", Type: customer.ActivitySignedOut, At: clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionOf(ctx, sess.Ref()); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("after EndSession: %v, want ErrNotFound", err)
		}
		if err := s.EndSession(ctx, sess.Ref(), customer.Activity{CustomerID: "c1", Type: customer.ActivitySignedOut, At: clock.Now()}, nil); err != nil {
			t.Errorf("ending it again: %v, want nil", err)
		}
	})

	t.Run("the end of an impersonation names its administrator in the activity entry", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "imp@example.com", "", customer.Active, clock.Now()))
		exp := clock.Now().Add(time.Hour).Truncate(time.Second)
		own := session.Session{Digest: "own", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp}
		imp := session.Session{Digest: "imp", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp, ImpersonatedBy: "arn:aws:iam::1:user/op"}
		for _, ss := range []session.Session{own, imp} {
			if err := s.SignInSucceeded(ctx, account.SignIn{Session: &ss}); err != nil {
				t.Fatal(err)
			}
		}
		for _, ss := range []session.Session{own, imp} {
			a := customer.Activity{CustomerID: "c1", Type: customer.ActivitySignedOut, At: clock.Now(), Detail: map[string]string{"scope": "session"}}
			if err := s.EndSession(ctx, ss.Ref(), a, nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionOf(ctx, ss.Ref()); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("session %s after its end: %v", ss.Digest, err)
			}
		}
		r, err := s.Records(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		named := 0
		for _, a := range r.Activity {
			if a.Type == customer.ActivitySignedOut {
				if a.Detail["scope"] != "session" {
					t.Errorf("entry %v lost its detail", a.Detail)
				}
				if a.Detail["impersonatedBy"] == imp.ImpersonatedBy {
					named++
				}
			}
		}
		if len(r.Activity) != 2 || named != 1 {
			t.Errorf("activity %+v: want two sign-outs, the impersonation's naming its administrator", r.Activity)
		}
	})

	t.Run("a login's devices are recorded by sign-ins, counted on failure, bounded, and read with its view", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "dev@example.com", "devuser", customer.Active, clock.Now()))
		at := clock.Now().Truncate(time.Second)
		rec := func(id string, evict string) *account.DeviceRecord {
			return &account.DeviceRecord{Kind: "email", Key: "dev@example.com", ID: id, IssuedAt: at, Evict: evict}
		}
		if err := s.SignInSucceeded(ctx, account.SignIn{Device: rec("d1", "")}); err != nil {
			t.Fatal(err)
		}
		if err := s.SignInSucceeded(ctx, account.SignIn{Device: rec("d2", "")}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			failSignIn(t, s, account.SignIn{At: clock.Now(), DeviceFailed: rec("d1", "")})
		}
		// A device of a login whose key went since it was read is not
		// recorded, and neither the sign-in nor the failure is refused.
		ghost := &account.DeviceRecord{Kind: "email", Key: "gone@example.com", ID: "g1", IssuedAt: at}
		if err := s.SignInSucceeded(ctx, account.SignIn{Device: ghost}); err != nil {
			t.Errorf("a success recording a device on a key that is gone: %v", err)
		}
		if err := s.SignInFailed(ctx, account.SignIn{At: clock.Now(), DeviceFailed: ghost}); err != nil {
			t.Errorf("a failure counted on a device of a key that is gone: %v", err)
		}
		if _, err := s.Login(ctx, "email", "gone@example.com"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("recording a device made a key: %v", err)
		}
		v, err := s.Login(ctx, "email", "dev@example.com")
		if err != nil || len(v.Devices) != 2 || v.Devices["d1"].Failures != 2 || !v.Devices["d1"].IssuedAt.Equal(at) || v.Devices["d2"].Failures != 0 {
			t.Fatalf("devices = %+v, %v; want d1 with 2 failures and d2", v.Devices, err)
		}
		if u, _ := s.Login(ctx, "username", "devuser"); len(u.Devices) != 0 {
			t.Errorf("the username's view has the address's devices: %+v", u.Devices)
		}
		if err := s.SignInSucceeded(ctx, account.SignIn{Device: rec("d1", "")}); err != nil {
			t.Fatal(err)
		}
		if err := s.SignInSucceeded(ctx, account.SignIn{Device: rec("d3", "d2")}); err != nil {
			t.Fatal(err)
		}
		v, _ = s.Login(ctx, "email", "dev@example.com")
		if _, gone := v.Devices["d2"]; gone || v.Devices["d1"].Failures != 0 || len(v.Devices) != 2 {
			t.Errorf("devices = %+v; want d1 afresh and d3, d2 evicted", v.Devices)
		}
		c, _ := s.Customer(ctx, "c1")
		clock.Advance(time.Second)
		after := c
		after.RecoveredAt, after.UpdatedAt = clock.Now(), clock.Now()
		if err := s.Update(ctx, account.Update{Before: c, After: after}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Login(ctx, "email", "dev@example.com"); !v.RecoveredAt.Equal(after.RecoveredAt) || len(v.Devices) != 2 {
			t.Errorf("view after a recovery: recovered %v, devices %+v", v.RecoveredAt, v.Devices)
		}
	})

	t.Run("a success while a counter is over its limit is refused and starts no session", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "locked@example.com", "", customer.Active, clock.Now()))
		client := counter(t, throttle.SignInClient, 1, time.Hour, clock.Now(), "10.0.0.1")
		failSignIn(t, s, account.SignIn{Counters: []throttle.Counter{client}, At: clock.Now()})
		sess := session.Session{Digest: "d2", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}
		var ex *throttle.Exceeded
		if err := s.SignInSucceeded(ctx, account.SignIn{Counters: []throttle.Counter{client}, Session: &sess}); !errors.As(err, &ex) {
			t.Fatalf("got %v, want *throttle.Exceeded", err)
		}
		if _, _, err := s.SessionOf(ctx, sess.Ref()); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("a refused success stored its session: %v", err)
		}
	})

	t.Run("a customer's sessions read back with the customer in one call, with their device and last use", func(t *testing.T) {
		s, clock := fresh(t)
		exp := clock.Now().Add(time.Hour).Truncate(time.Second)
		phone := session.Session{Digest: "phone", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp,
			Client: session.Client{UserAgent: "Phone/1.0", Address: "198.51.100.7"}}
		acc := newAccount("c1", "dev@example.com", "", customer.Active, clock.Now())
		acc.Session = &phone
		create(t, s, acc)
		other := newAccount("c2", "other@example.com", "", customer.Active, clock.Now())
		otherSess := session.Session{Digest: "theirs", CustomerID: "c2", CreatedAt: clock.Now(), ExpiresAt: exp}
		other.Session = &otherSess
		create(t, s, other)
		laptop := session.Session{Digest: "laptop", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp, Client: session.Client{UserAgent: "Laptop"}}
		if err := s.SignInSucceeded(ctx, account.SignIn{Session: &laptop, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		later := clock.Now().Add(2 * time.Hour).Truncate(time.Millisecond)
		if err := s.TouchSession(ctx, phone.Ref(), later); err != nil {
			t.Fatal(err)
		}
		c, all, err := s.SessionsOf(ctx, "c1")
		if err != nil || c.ID != "c1" || len(all) != 2 {
			t.Fatalf("SessionsOf = %+v, %d sessions, %v; want c1 with 2", c.ID, len(all), err)
		}
		byDigest := map[string]session.Session{}
		for _, x := range all {
			byDigest[x.Digest] = x
		}
		if got := byDigest["phone"]; got.Client != phone.Client || !got.LastUsedAt.Equal(later) {
			t.Errorf("phone = %+v, want its device and the touch at %v", got, later)
		}
		if got := byDigest["laptop"]; got.Client != laptop.Client || !got.LastUsedAt.IsZero() {
			t.Errorf("laptop = %+v, want its device and no touch", got)
		}
		if err := s.TouchSession(ctx, session.Ref{CustomerID: "c1", Digest: "gone"}, later); err != nil {
			t.Errorf("touching a session that ended: %v, want nil", err)
		}
		if _, all, _ := s.SessionsOf(ctx, "c1"); len(all) != 2 {
			t.Errorf("after touching a missing session: %d sessions, want 2 (no item made)", len(all))
		}
		if _, _, err := s.SessionsOf(ctx, "nobody"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("SessionsOf of no customer: %v, want customer.ErrNotFound", err)
		}
	})

	t.Run("a sign-in code lives on the email key, is spent by one sign-in, and codes are voided on both items", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "code@example.com", "", customer.Active, clock.Now()))
		l := customer.NewLink("nonce", clock.Now(), 15*time.Minute)
		l.Code = "k1.digest"
		if err := s.SetSignInCode(ctx, "code@example.com", "c2", l, customer.Activity{CustomerID: "c2", Type: customer.ActivitySignInCodeMailed, At: clock.Now()}); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("a code for a key another customer holds: %v, want customer.ErrNotFound", err)
		}
		if err := s.SetSignInCode(ctx, "code@example.com", "c1", l, customer.Activity{CustomerID: "c1", Type: customer.ActivitySignInCodeMailed, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		view, err := s.Login(ctx, "email", "code@example.com")
		if err != nil || view.SignInCode == nil || view.SignInCode.Code != l.Code || !view.SignInCode.ExpiresAt.Equal(l.ExpiresAt) {
			t.Fatalf("Login = %+v, %v; want the code on the sign-in view", view.SignInCode, err)
		}
		if err := s.SpendSignInCode(ctx, "code@example.com", "another nonce"); !errors.Is(err, account.ErrCodeUsed) {
			t.Errorf("spending another code: %v, want ErrCodeUsed", err)
		}
		use := &account.CodeUse{EmailKey: "code@example.com", Digest: "nonce"}
		exp := clock.Now().Add(time.Hour).Truncate(time.Second)
		first := session.Session{Digest: "s1", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp}
		if err := s.SignInSucceeded(ctx, account.SignIn{Session: &first, At: clock.Now(), Code: use}); err != nil {
			t.Fatal(err)
		}
		second := session.Session{Digest: "s2", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp}
		if err := s.SignInSucceeded(ctx, account.SignIn{Session: &second, At: clock.Now(), Code: use}); !errors.Is(err, account.ErrCodeUsed) {
			t.Errorf("the code again: %v, want ErrCodeUsed", err)
		}
		if _, _, err := s.SessionOf(ctx, second.Ref()); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("the refused sign-in stored its session: %v", err)
		}
		if err := s.SpendSignInCode(ctx, "code@example.com", "nonce"); !errors.Is(err, account.ErrCodeUsed) {
			t.Errorf("spending the spent code: %v, want ErrCodeUsed", err)
		}
		at := clock.Now().Add(time.Minute).Truncate(time.Millisecond)
		if err := s.VoidCodes(ctx, "c1", "code@example.com", at); err != nil {
			t.Fatal(err)
		}
		view, _ = s.Login(ctx, "email", "code@example.com")
		c, _ := s.Customer(ctx, "c1")
		if !view.CodesVoidBefore.Equal(at) || !c.CodesVoidBefore.Equal(at) {
			t.Errorf("voided before %v (sign-in view) and %v (customer), want %v", view.CodesVoidBefore, c.CodesVoidBefore, at)
		}
		if err := s.VoidCodes(ctx, "", "nobody@example.com", at); err != nil {
			t.Errorf("voiding the codes of an address without an account: %v", err)
		}
	})

	t.Run("a session under another customer's id is not found", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("c1", "s@example.com", "", customer.Active, clock.Now())
		sess := session.Session{Digest: "d3", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}
		acc.Session = &sess
		create(t, s, acc)
		if _, _, err := s.SessionOf(ctx, session.Ref{CustomerID: "c2", Digest: "d3"}); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})

	t.Run("a job is stored with its client's count, and refused with it at the limit", func(t *testing.T) {
		s, clock := fresh(t)
		limit := counter(t, throttle.ClientResend, 1, time.Hour, clock.Now(), "10.0.0.2")
		job := outbox.New("j1", clock.Now(), outbox.Recipient{}, verification.ResendJob{Email: "x@example.com"})
		if err := s.Enqueue(ctx, job, &limit); err != nil {
			t.Fatal(err)
		}
		job.ID = "j2"
		var ex *throttle.Exceeded
		if err := s.Enqueue(ctx, job, &limit); !errors.As(err, &ex) {
			t.Errorf("over the limit: %v, want *throttle.Exceeded", err)
		}
	})

	t.Run("a confirmation verifies an unverified account once, through its live link, and signs it in", func(t *testing.T) {
		s, clock := fresh(t)
		acc := unverified("c1", "v@example.com", "vic", "d-live", clock.Now())
		acc.Customer.ExpiresAt = clock.Now().Add(time.Hour)
		create(t, s, acc)
		if n, err := s.LinkFailed(ctx, "c1", "d-live"); err != nil || n != 1 {
			t.Fatalf("LinkFailed = %d, %v; want 1", n, err)
		}
		if _, err := s.LinkFailed(ctx, "c1", "d-other"); !errors.Is(err, verification.ErrConflict) {
			t.Errorf("LinkFailed on another link: %v, want ErrConflict", err)
		}
		sess := session.Session{Digest: "s1", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour).Truncate(time.Second)}
		conf := verification.Confirmation{CustomerID: "c1", Digest: "d-live", EmailKey: "v@example.com", UsernameKey: "vic",
			Next: customer.Active, At: clock.Now(), Session: &sess,
			Activity: customer.Activity{CustomerID: "c1", Type: customer.ActivityEmailVerified, At: clock.Now()}}
		if err := s.Confirm(ctx, verification.Confirmation{CustomerID: "c1", Digest: "d-other", Next: customer.Active, At: clock.Now(),
			EmailKey: "v@example.com"}); !errors.Is(err, verification.ErrConflict) {
			t.Errorf("confirming with another link: %v, want ErrConflict", err)
		}
		if err := s.Confirm(ctx, conf); err != nil {
			t.Fatal(err)
		}
		if err := s.Confirm(ctx, conf); !errors.Is(err, verification.ErrConflict) {
			t.Errorf("confirming twice: %v, want ErrConflict", err)
		}
		c, _ := s.Customer(ctx, "c1")
		if c.Status != customer.Active || c.Link != nil || !c.ExpiresAt.IsZero() || c.VerifiedLink != "d-live" || c.EmailVerifiedAt.IsZero() {
			t.Errorf("customer after confirming = %+v", c)
		}
		clock.Advance(2 * time.Hour) // past the account's old expiry: its logins must not have kept it
		for _, l := range []struct{ kind, key string }{{"email", "v@example.com"}, {"username", "vic"}} {
			if v, err := s.Login(ctx, l.kind, l.key); err != nil || v.Status != customer.Active {
				t.Errorf("Login(%s) after confirming = %+v, %v; want the active account, no longer expiring", l.kind, v, err)
			}
		}
		if _, _, err := s.SessionOf(ctx, sess.Ref()); err != nil {
			t.Errorf("the confirmation's session: %v", err)
		}
	})

	t.Run("a link with five wrong passwords confirms nothing", func(t *testing.T) {
		s, clock := fresh(t)
		acc := unverified("c1", "w@example.com", "", "d1", clock.Now())
		create(t, s, acc)
		for range verification.MaxPasswordTries {
			if _, err := s.LinkFailed(ctx, "c1", "d1"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.LinkFailed(ctx, "c1", "d1"); !errors.Is(err, verification.ErrConflict) {
			t.Errorf("a sixth wrong password: %v, want ErrConflict", err)
		}
		err := s.Confirm(ctx, verification.Confirmation{CustomerID: "c1", Digest: "d1", EmailKey: "w@example.com", Next: customer.Active, At: clock.Now(),
			Activity: customer.Activity{CustomerID: "c1", Type: customer.ActivityEmailVerified, At: clock.Now()}})
		if !errors.Is(err, verification.ErrConflict) {
			t.Errorf("confirming a spent link: %v, want ErrConflict", err)
		}
	})

	t.Run("a rehash changes only the hash: a status written since it was read stays", func(t *testing.T) {
		s, clock := fresh(t)
		acc := unverified("c1", "r@example.com", "", "d1", clock.Now())
		create(t, s, acc)
		read := acc.Customer // as read before the confirmation
		if err := s.Confirm(ctx, verification.Confirmation{CustomerID: "c1", Digest: "d1", EmailKey: "r@example.com", Next: customer.Active,
			At: clock.Now(), Activity: customer.Activity{CustomerID: "c1", Type: customer.ActivityEmailVerified, At: clock.Now()}}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdatePasswordHash(ctx, read, "new", customer.Activity{CustomerID: "c1", Type: customer.ActivityPasswordRehash, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		v, _ := s.Login(ctx, "email", "r@example.com")
		if v.Status != customer.Active || v.PasswordHash != "new" {
			t.Errorf("login view = %+v; want the new hash and the status the confirmation wrote", v)
		}
	})

	t.Run("a password hash is replaced only while it is the one read, on the account and its login", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("c1", "h@example.com", "", customer.Active, clock.Now())
		create(t, s, acc)
		a := customer.Activity{CustomerID: "c1", Type: customer.ActivityPasswordRehash, At: clock.Now()}
		stale := acc.Customer
		stale.PasswordHash = "not-the-stored-one"
		if err := s.UpdatePasswordHash(ctx, stale, "new", a); err == nil {
			t.Error("a stale hash was replaced")
		}
		if err := s.UpdatePasswordHash(ctx, acc.Customer, "new", a); err != nil {
			t.Fatal(err)
		}
		c, _ := s.Customer(ctx, "c1")
		v, _ := s.Login(ctx, "email", "h@example.com")
		if c.PasswordHash != "new" || v.PasswordHash != "new" {
			t.Errorf("hash %q, login view %q; want new on both", c.PasswordHash, v.PasswordHash)
		}
	})

	mailerContract(t, fresh)
	accountContract(t, fresh)
	formContract(t, fresh)
	passkeyContract(t, fresh)
}

// accountContract is My account's part: one conditional write per change,
// login keys that follow the account, the logs, the erasure sweep.
func accountContract(t *testing.T, fresh func(t *testing.T) (Store, *Clock)) {
	ctx := context.Background()
	created := func(t *testing.T, s Store, clock *Clock, id, email, username string) customer.Customer {
		t.Helper()
		create(t, s, newAccount(id, email, username, customer.Active, clock.Now()))
		c, err := s.Customer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// signedIn starts a session of customer id, an hour long.
	signedIn := func(t *testing.T, s Store, clock *Clock, id string) session.Session {
		t.Helper()
		sess := session.Session{Digest: "s1", CustomerID: id, CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour).Truncate(time.Second)}
		if err := s.SignInSucceeded(ctx, account.SignIn{Session: &sess}); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	changed := func(c customer.Customer, clock *Clock, f func(*customer.Customer)) customer.Customer {
		clock.Advance(time.Second)
		after := c
		f(&after)
		after.UpdatedAt = clock.Now()
		return after
	}

	t.Run("an update applies only over the account as read, and the login keys follow its hash", func(t *testing.T) {
		s, clock := fresh(t)
		c := created(t, s, clock, "c1", "u@example.com", "ursula")
		after := changed(c, clock, func(a *customer.Customer) { a.PasswordHash = "rehashed" })
		a := customer.Activity{CustomerID: "c1", Type: customer.ActivityPasswordChanged, At: clock.Now()}
		if err := s.Update(ctx, accountUpdate(c, after, &a)); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, accountUpdate(c, changed(c, clock, func(a *customer.Customer) { a.Language = "en" }), nil)); !errors.Is(err, account.ErrConflict) {
			t.Errorf("an update over a stale read: %v, want ErrConflict", err)
		}
		for _, l := range []struct{ kind, key string }{{"email", "u@example.com"}, {"username", "ursula"}} {
			if v, err := s.Login(ctx, l.kind, l.key); err != nil || v.PasswordHash != "rehashed" {
				t.Errorf("Login(%s) = %+v, %v; want the new hash", l.kind, v, err)
			}
		}
		r, err := s.Records(ctx, "c1")
		if err != nil || len(r.Activity) != 1 || r.Activity[0].Type != customer.ActivityPasswordChanged {
			t.Errorf("Records = %+v, %v; want the change's activity entry", r, err)
		}
	})

	t.Run("a new address is claimed and the old one freed in one write, unless another account holds it", func(t *testing.T) {
		s, clock := fresh(t)
		c := created(t, s, clock, "c1", "old@example.com", "")
		created(t, s, clock, "c2", "held@example.com", "")
		if err := s.Update(ctx, accountUpdate(c, changed(c, clock, func(a *customer.Customer) { a.Email = "Held@Example.com" }), nil)); !errors.Is(err, account.ErrEmailTaken) {
			t.Errorf("moving to a held address: %v, want ErrEmailTaken", err)
		}
		if v, err := s.Login(ctx, "email", "old@example.com"); err != nil || v.ID != "c1" {
			t.Errorf("the refused move changed the old key: %+v, %v", v, err)
		}
		if err := s.Update(ctx, accountUpdate(c, changed(c, clock, func(a *customer.Customer) { a.Email = "New@Example.com" }), nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "email", "old@example.com"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("the old address after the move: %v, want ErrNotFound", err)
		}
		if v, err := s.Login(ctx, "email", "new@example.com"); err != nil || v.ID != "c1" {
			t.Errorf("the new address: %+v, %v", v, err)
		}
		if err := s.CreateAccount(ctx, newAccount("c3", "old@example.com", "", customer.Active, clock.Now())); err != nil {
			t.Errorf("registering the freed address: %v", err)
		}
	})

	t.Run("an update asked in a session holds only while the session exists, and drops the consent entries it names", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("c1", "s@example.com", "", customer.Active, clock.Now())
		acc.Consents = []customer.ConsentRecord{{CustomerID: "c1", ConsentID: "terms", Agreed: true, Message: "ok", At: clock.Now()},
			{CustomerID: "c1", ConsentID: "privacy", Agreed: true, Message: "ok", At: clock.Now()}}
		create(t, s, acc)
		c, _ := s.Customer(ctx, "c1")
		sess := signedIn(t, s, clock, "c1")
		u := accountUpdate(c, changed(c, clock, func(a *customer.Customer) { a.Language = "de" }), nil)
		u.Session, u.DropConsents = sess.Ref(), acc.Consents[:1]
		if err := s.Update(ctx, u); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Records(ctx, "c1"); err != nil || len(r.Consents) != 1 || r.Consents[0].ConsentID != "privacy" {
			t.Errorf("consents after dropping one: %+v, %v", r.Consents, err)
		}
		if err := s.EndSession(ctx, sess.Ref(), customer.Activity{CustomerID: "c1", Type: customer.ActivitySignedOut, At: clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		c, _ = s.Customer(ctx, "c1")
		u = accountUpdate(c, changed(c, clock, func(a *customer.Customer) { a.Language = "en" }), nil)
		u.Session = sess.Ref()
		if err := s.Update(ctx, u); !errors.Is(err, account.ErrSessionGone) {
			t.Errorf("an update asked in a session signed out since: %v, want ErrSessionGone", err)
		}
		if got, _ := s.Customer(ctx, "c1"); got.Language != "de" {
			t.Errorf("language = %q; the refused update was written", got.Language)
		}
	})

	t.Run("an erased account frees its logins, and the sweep leaves only the tombstone and the consent log", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("c1", "gone@example.com", "gone", customer.Active, clock.Now())
		acc.Consents = []customer.ConsentRecord{{CustomerID: "c1", ConsentID: "privacy", Agreed: true, Message: "ok", At: clock.Now()}}
		create(t, s, acc)
		c, _ := s.Customer(ctx, "c1")
		signedIn(t, s, clock, "c1")
		if r, err := s.Records(ctx, "c1"); err != nil || len(r.Sessions) != 1 || len(r.Consents) != 1 {
			t.Fatalf("Records before erasure = %+v, %v; want the session and the consent", r, err)
		}
		tomb := customer.Customer{ID: "c1", StoreID: "default", Status: customer.Deleted, CreatedAt: c.CreatedAt}
		clock.Advance(time.Second)
		tomb.UpdatedAt, tomb.SessionsValidFrom = clock.Now(), clock.Now()
		a := customer.Activity{CustomerID: "c1", Type: customer.ActivityDeleted, At: clock.Now()}
		if err := s.Update(ctx, accountUpdate(c, tomb, &a)); err != nil {
			t.Fatal(err)
		}
		for _, l := range []struct{ kind, key string }{{"email", "gone@example.com"}, {"username", "gone"}} {
			if _, err := s.Login(ctx, l.kind, l.key); !errors.Is(err, customer.ErrNotFound) {
				t.Errorf("Login(%s) after erasure: %v, want ErrNotFound", l.kind, err)
			}
		}
		for range 2 { // a sweep can run again
			if _, err := s.Sweep(ctx, "c1", customer.AddressDigest("gone@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Records(ctx, "c1")
		if err != nil || len(r.Activity) != 0 || len(r.Sessions) != 0 || len(r.Consents) != 1 {
			t.Errorf("after the sweep: %+v, %v; want the consent only", r, err)
		}
		if got, err := s.Customer(ctx, "c1"); err != nil || got.Status != customer.Deleted || got.Email != "" {
			t.Errorf("tombstone = %+v, %v", got, err)
		}
	})
}

// accountUpdate is a change of an account from before to after, logged as a.
func accountUpdate(before, after customer.Customer, a *customer.Activity) account.Update {
	return account.Update{Before: before, After: after, Activity: a}
}

// mailerContract is the mailer's part of the contract: the ledger,
// the intervals between mails, links and completions.
func mailerContract(t *testing.T, fresh func(t *testing.T) (Store, *Clock)) {
	ctx := context.Background()

	t.Run("a message is claimed by one sender, sent once, and a released claim can be taken again", func(t *testing.T) {
		s, clock := fresh(t)
		now := clock.Now()
		if err := s.Claim(ctx, "m1", now, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.Claim(ctx, "m1", now, time.Minute); !errors.Is(err, outbox.ErrInFlight) {
			t.Errorf("second claim within the lease: %v, want ErrInFlight", err)
		}
		if err := s.Claim(ctx, "m1", now.Add(2*time.Minute), time.Minute); err != nil {
			t.Errorf("claim after the lease ran out: %v, want it taken over", err)
		}
		if err := s.Release(ctx, "m1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Claim(ctx, "m1", now, time.Minute); err != nil {
			t.Errorf("claim after release: %v", err)
		}
		if err := s.MarkSent(ctx, "m1", now); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, "m1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Claim(ctx, "m1", now.Add(time.Hour), time.Minute); !errors.Is(err, outbox.ErrAlreadySent) {
			t.Errorf("claim of a sent message, even after a release: %v, want ErrAlreadySent", err)
		}
	})

	t.Run("a suppressed address stays suppressed; others are not", func(t *testing.T) {
		s, clock := fresh(t)
		if err := s.Suppress(ctx, "bounce@example.com", "Permanent", clock.Now()); err != nil {
			t.Fatal(err)
		}
		for addr, want := range map[string]bool{"bounce@example.com": true, "fine@example.com": false} {
			if got, err := s.Suppressed(ctx, addr); err != nil || got != want {
				t.Errorf("Suppressed(%s) = %v, %v; want %v", addr, got, err, want)
			}
		}
	})

	t.Run("one job per interval mails an address; a retry of that job passes; resends and notices are separate", func(t *testing.T) {
		s, clock := fresh(t)
		now := clock.Now()
		claims := []struct {
			name string
			f    func(emailKey, job string, at time.Time, every time.Duration) (bool, error)
		}{
			{"resend", func(k, j string, at time.Time, e time.Duration) (bool, error) { return s.ClaimResend(ctx, k, j, at, e) }},
			{"notice", func(k, j string, at time.Time, e time.Duration) (bool, error) { return s.ClaimNotice(ctx, k, j, at, e) }},
		}
		for _, c := range claims {
			steps := []struct {
				job  string
				at   time.Duration
				want bool
			}{{"j1", 0, true}, {"j2", time.Minute, false}, {"j1", 2 * time.Minute, true}, {"j3", time.Hour + 3*time.Minute, true}}
			for _, st := range steps {
				if got, err := c.f("a@example.com", st.job, now.Add(st.at), time.Hour); err != nil || got != st.want {
					t.Errorf("%s: %s at +%v = %v, %v; want %v", c.name, st.job, st.at, got, err, st.want)
				}
			}
		}
	})

	t.Run("a link is issued only over the live link read, and only on an unverified account", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("c1", "l@example.com", "", customer.Unverified, clock.Now())
		acc.Customer.ExpiresAt = clock.Now().Add(24 * time.Hour)
		create(t, s, acc)
		first := customer.Link{Digest: "d1", ExpiresAt: clock.Now().Add(time.Hour), IssuedBy: "j1"}
		if err := s.IssueLink(ctx, "c1", nil, first, nil, customer.Activity{}); err != nil {
			t.Fatal(err)
		}
		second := customer.Link{Digest: "d2", ExpiresAt: clock.Now().Add(time.Hour), IssuedBy: "j2"}
		if err := s.IssueLink(ctx, "c1", nil, second, nil, customer.Activity{}); !errors.Is(err, verification.ErrConflict) {
			t.Errorf("issue over a link not read: %v, want ErrConflict", err)
		}
		mailed := customer.Activity{CustomerID: "c1", Type: customer.ActivityLinkMailed, At: clock.Now(), Detail: map[string]string{"job": "j2"}}
		if err := s.IssueLink(ctx, "c1", &first, second, []string{"d1"}, mailed); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Records(ctx, "c1"); err != nil || len(r.Activity) != 1 || r.Activity[0].Type != customer.ActivityLinkMailed {
			t.Errorf("activity after the issue = %+v, %v; want the link_mailed entry", r.Activity, err)
		}
		c, err := s.Customer(ctx, "c1")
		if err != nil || c.Link == nil || c.Link.Digest != "d2" || c.Link.IssuedBy != "j2" || len(c.VoidedLinks) != 1 || c.VoidedLinks[0] != "d1" {
			t.Errorf("customer = %+v, %v; want live link d2 issued by j2, d1 voided", c, err)
		}
		create(t, s, newAccount("c2", "v@example.com", "", customer.Active, clock.Now()))
		if err := s.IssueLink(ctx, "c2", nil, first, nil, customer.Activity{}); !errors.Is(err, verification.ErrConflict) {
			t.Errorf("issue on a verified account: %v, want ErrConflict", err)
		}
	})

	t.Run("a pending registration completes once, into an account whose logins work, and keeps no personal data", func(t *testing.T) {
		s, clock := fresh(t)
		now := clock.Now()
		p := registration.Pending{ID: "r1", StoreID: "default", Email: "new@example.com", EmailKey: "new@example.com",
			Username: "neo", UsernameKey: "neo", PasswordHash: hash, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		job := outbox.New("job-r1", now, outbox.Recipient{}, registration.CompleteJob{RegistrationID: "r1"})
		if err := s.Submit(ctx, registration.Submission{Pending: p, Job: job}); err != nil {
			t.Fatal(err)
		}
		got, err := s.PendingRegistration(ctx, "r1")
		if err != nil || got.Email != "new@example.com" || got.Outcome != "" {
			t.Fatalf("PendingRegistration = %+v, %v; want it open, with its address", got, err)
		}
		cust := customer.Customer{ID: "c9", StoreID: "default", Email: p.Email, Username: p.Username, Status: customer.Unverified,
			PasswordHash: hash, CreatedAt: now, UpdatedAt: now, ExpiresAt: p.ExpiresAt,
			Link: &customer.Link{Digest: "d1", ExpiresAt: now.Add(time.Hour), IssuedBy: job.ID}}
		comp := registration.Completion{Registration: p, Outcome: registration.Created, Customer: cust,
			Activity: customer.Activity{CustomerID: "c9", Type: customer.ActivityRegistered, At: now}}
		if err := s.Complete(ctx, comp); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, comp); !errors.Is(err, registration.ErrConflict) {
			t.Errorf("second completion: %v, want ErrConflict", err)
		}
		for _, l := range []struct{ kind, key string }{{"email", "new@example.com"}, {"username", "neo"}} {
			if v, err := s.Login(ctx, l.kind, l.key); err != nil || v.ID != "c9" {
				t.Errorf("Login(%s) = %+v, %v; want c9", l.kind, v, err)
			}
		}
		if id, err := s.CustomerIDByEmail(ctx, "new@example.com"); err != nil || id != "c9" {
			t.Errorf("CustomerIDByEmail = %q, %v; want c9", id, err)
		}
		done, err := s.PendingRegistration(ctx, "r1")
		if err != nil || done.Outcome != registration.Created || done.CustomerID != "c9" || done.Email != "" || done.PasswordHash != "" {
			t.Errorf("completed registration = %+v, %v; want the outcome and customer only", done, err)
		}
		if _, err := s.PendingRegistration(ctx, "r-none"); !errors.Is(err, registration.ErrNotFound) {
			t.Errorf("unknown registration: %v, want ErrNotFound", err)
		}
	})

	t.Run("a replacement of an unverified account is refused once the account changed since it was read", func(t *testing.T) {
		s, clock := fresh(t)
		now := clock.Now()
		acc := newAccount("c1", "re@example.com", "", customer.Unverified, now)
		acc.Customer.ExpiresAt = now.Add(24 * time.Hour)
		create(t, s, acc)
		p := registration.Pending{ID: "r2", StoreID: "default", Email: "re@example.com", EmailKey: "re@example.com",
			PasswordHash: "second", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		job := outbox.New("job-r2", now, outbox.Recipient{}, registration.CompleteJob{RegistrationID: "r2"})
		if err := s.Submit(ctx, registration.Submission{Pending: p, Job: job}); err != nil {
			t.Fatal(err)
		}
		prev, err := s.Customer(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		next := prev
		next.PasswordHash, next.UpdatedAt, next.ReceivedAt = "second", now.Add(time.Second), now.Add(time.Minute)
		stale := prev
		stale.UpdatedAt = now.Add(-time.Hour)
		comp := registration.Completion{Registration: p, Outcome: registration.Replaced, Customer: next, Previous: &stale}
		if err := s.Complete(ctx, comp); !errors.Is(err, registration.ErrConflict) {
			t.Errorf("replacement over a changed account: %v, want ErrConflict", err)
		}
		comp.Previous = &prev
		if err := s.Complete(ctx, comp); err != nil {
			t.Fatal(err)
		}
		// A registration received before the one the account now holds
		// may not replace it, even over the account as read.
		p3 := p
		p3.ID, p3.PasswordHash = "r3", "older"
		job3 := outbox.New("job-r3", now, outbox.Recipient{}, registration.CompleteJob{RegistrationID: "r3"})
		if err := s.Submit(ctx, registration.Submission{Pending: p3, Job: job3}); err != nil {
			t.Fatal(err)
		}
		held, _ := s.Customer(ctx, "c1")
		older := held
		older.PasswordHash, older.UpdatedAt, older.ReceivedAt = "older", now.Add(2*time.Second), now.Add(30*time.Second)
		if err := s.Complete(ctx, registration.Completion{Registration: p3, Outcome: registration.Replaced, Customer: older, Previous: &held}); !errors.Is(err, registration.ErrConflict) {
			t.Errorf("a replacement by an older registration: %v, want ErrConflict", err)
		}
		if v, err := s.Login(ctx, "email", "re@example.com"); err != nil || v.ID != "c1" || v.PasswordHash != "second" {
			t.Errorf("login view = %+v, %v; want c1 with the replacement's hash", v, err)
		}
	})
}

// formContract: the stored parts of the rest of the form (subscription
// records, the VAT check, the sign-in counter a CAPTCHA reads).
func formContract(t *testing.T, fresh func(t *testing.T) (Store, *Clock)) {
	ctx := context.Background()
	sub := func(typ string, active bool, now time.Time) customer.Subscription {
		return customer.Subscription{ID: "5c0ffee0-0000-4000-8000-000000000001", StoreID: "default", Email: "Ada@Example.com",
			Type: typ, Active: active, Language: "de", CreatedAt: now, UpdatedAt: now}
	}

	t.Run("subscriptions written with an account read back by store and address, and a waiting one goes at its expiry", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("b1a2c3d4-0000-4000-8000-0000000000a1", "Ada@Example.com", "", customer.Active, clock.Now())
		waiting := sub("deals", false, clock.Now())
		waiting.ExpiresAt = clock.Now().Add(time.Hour)
		acc.Subscriptions = []customer.Subscription{sub("general", true, clock.Now()), waiting}
		create(t, s, acc)
		got, err := s.Subscriptions(ctx, "default", "ada@example.com")
		if err != nil || len(got) != 2 || got[0].Type != "deals" || got[1].Type != "general" || !got[1].Active ||
			got[0].ID != waiting.ID || got[0].Email != "Ada@Example.com" || !got[0].ExpiresAt.Equal(waiting.ExpiresAt) {
			t.Fatalf("Subscriptions = %+v, %v", got, err)
		}
		if other, _ := s.Subscriptions(ctx, "other-store", "ada@example.com"); len(other) != 0 {
			t.Fatalf("another store's records: %+v", other)
		}
		clock.Advance(time.Hour)
		if got, _ := s.Subscriptions(ctx, "default", "ada@example.com"); len(got) != 1 || got[0].Type != "general" {
			t.Fatalf("after the waiting one's expiry: %+v", got)
		}
	})

	t.Run("an update moves and drops subscriptions in the account's own write", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("b1a2c3d4-0000-4000-8000-0000000000a2", "ada@example.com", "", customer.Active, clock.Now())
		acc.Subscriptions = []customer.Subscription{sub("general", true, clock.Now())}
		create(t, s, acc)
		before, _ := s.Customer(ctx, acc.Customer.ID)
		clock.Advance(time.Second)
		after := before
		after.Email, after.UpdatedAt = "grace@example.com", clock.Now()
		have, _ := s.Subscriptions(ctx, "default", "ada@example.com")
		err := s.Update(ctx, account.Update{Before: before, After: after, DropSubscriptions: have,
			Subscriptions: customer.Moved(have, after.Email, clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
		old, _ := s.Subscriptions(ctx, "default", "ada@example.com")
		moved, _ := s.Subscriptions(ctx, "default", "grace@example.com")
		if len(old) != 0 || len(moved) != 1 || moved[0].ID != have[0].ID || !moved[0].Active {
			t.Fatalf("old %+v, moved %+v", old, moved)
		}
	})

	t.Run("a confirmation starts the waiting subscriptions and creates a missing one, reading nothing", func(t *testing.T) {
		s, clock := fresh(t)
		acc := unverified("b1a2c3d4-0000-4000-8000-0000000000a3", "ada@example.com", "", "digest-a3", clock.Now())
		acc.Customer.ExpiresAt = clock.Now().Add(24 * time.Hour)
		waiting := sub("general", false, clock.Now())
		waiting.ExpiresAt = acc.Customer.ExpiresAt
		acc.Subscriptions = []customer.Subscription{waiting}
		create(t, s, acc)
		clock.Advance(time.Minute)
		err := s.Confirm(ctx, verification.Confirmation{CustomerID: acc.Customer.ID, StoreID: "default", Digest: "digest-a3",
			EmailKey: "ada@example.com", Next: customer.Active, At: clock.Now(),
			Activity: customer.Activity{CustomerID: acc.Customer.ID, Type: customer.ActivityEmailVerified, At: clock.Now()},
			Activation: &customer.Activation{StoreID: "default", Email: "ada@example.com", Language: "de",
				Types: []string{"general", "deals"}, At: clock.Now(), NewID: "5c0ffee0-0000-4000-8000-000000000002"}})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(48 * time.Hour) // past the waiting record's old expiry
		got, _ := s.Subscriptions(ctx, "default", "ada@example.com")
		if len(got) != 2 || got[0].Type != "deals" || got[0].ID != "5c0ffee0-0000-4000-8000-000000000002" || !got[0].Active ||
			got[1].ID != waiting.ID || !got[1].Active || !got[1].ExpiresAt.IsZero() || !got[1].CreatedAt.Equal(waiting.CreatedAt) {
			t.Fatalf("after the confirmation: %+v", got)
		}
	})

	t.Run("a VAT check is stored only over the customer as read and while its number is the one checked", func(t *testing.T) {
		s, clock := fresh(t)
		acc := newAccount("b1a2c3d4-0000-4000-8000-0000000000a4", "ada@example.com", "", customer.Active, clock.Now())
		acc.Customer.Profile.VatNumber = "DE123456789"
		create(t, s, acc)
		read, _ := s.Customer(ctx, acc.Customer.ID)
		check := customer.VatCheck{Number: "DE123456789", Status: customer.VatValid, Name: "ACME", Address: "Berlin",
			CheckedAt: clock.Now(), Attempts: 1}
		clock.Advance(time.Second)
		if err := s.RecordVat(ctx, read, customer.VatCheck{Number: "DE999999999", Status: customer.VatValid}, clock.Now()); !errors.Is(err, vat.ErrConflict) {
			t.Fatalf("another number: %v, want vat.ErrConflict", err)
		}
		if err := s.RecordVat(ctx, read, check, clock.Now()); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Customer(ctx, acc.Customer.ID)
		if got.Vat == nil || got.Vat.Status != customer.VatValid || got.Vat.Name != "ACME" || !got.Vat.CheckedAt.Equal(check.CheckedAt) ||
			!got.UpdatedAt.Equal(clock.Now()) {
			t.Fatalf("customer vat %+v, updatedAt %v", got.Vat, got.UpdatedAt)
		}
		if err := s.RecordVat(ctx, read, check, clock.Now()); !errors.Is(err, vat.ErrConflict) {
			t.Fatalf("over a stale read: %v, want vat.ErrConflict", err)
		}
	})

	t.Run("a counter's failures read back within its window", func(t *testing.T) {
		s, clock := fresh(t)
		c := counter(t, throttle.SignInLogin, 5, time.Minute, clock.Now(), "login:email:ada@example.com")
		if n, err := s.Failures(ctx, c); err != nil || n != 0 {
			t.Fatalf("a fresh counter: %d, %v", n, err)
		}
		for range 2 {
			failSignIn(t, s, account.SignIn{Counters: []throttle.Counter{c}, Login: "email:ada@example.com", At: clock.Now()})
		}
		if n, err := s.Failures(ctx, c); err != nil || n != 2 {
			t.Fatalf("after two failures: %d, %v", n, err)
		}
	})
}
