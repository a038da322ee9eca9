// Package memstore is an in-memory store for unit tests: it implements every
// use case's store interface (registration, sign-in, sessions, confirmation,
// resend jobs, and the mailer's: completion, links, the mail ledger) with
// the same rules as the DynamoDB store, and the store
// contract suite (package storetest) runs against both, so a use case's unit
// tests test the use case, not a fake that drifted. Domain rules it applies
// (throttle windows and gates, account expiry) are the domain packages'
// functions, not copies. Every write is all or nothing, as the DynamoDB
// store's transactions are.
package memstore

import (
	"context"
	"maps"

	"fmt"
	"sync"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/shopping"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/vat"
	"github.com/openreg/registration/internal/verification"
)

// The store satisfies the use cases' interfaces it is for: the request
// path's, the mailer's (completing registrations, issuing links, the
// ledger), My account's, the VAT check's, the carts' and the back office's.
var (
	_ registration.Store           = (*Store)(nil)
	_ signin.Store                 = (*Store)(nil)
	_ session.Store                = (*Store)(nil)
	_ verification.Jobs            = (*Store)(nil)
	_ verification.Store           = (*Store)(nil)
	_ mail.Ledger                  = (*Store)(nil)
	_ verification.LinkStore       = (*Store)(nil)
	_ registration.CompletionStore = (*Store)(nil)
	_ myaccount.Store              = (*Store)(nil)
	_ vat.Store                    = (*Store)(nil)
	_ shopping.Store               = (*Store)(nil)
	_ admin.Store                  = (*Store)(nil)
)

// Store is the in-memory store.
type Store struct {
	mu  sync.Mutex
	now func() time.Time

	customers map[string]customer.Customer
	// keys are the login keys ("email:"/"username:" + normalised login):
	// the holder's customer id, or a pending registration's id.
	keys map[string]key
	// devices are the devices of each login key, by key and device id.
	devices  map[string]map[string]customer.Device
	pending  map[string]registration.Pending
	sessions map[session.Ref]session.Session
	counters map[string]counter
	// The mailer's records.
	ledger     map[string]ledgerEntry
	suppressed map[string]bool
	intervals  map[string]interval
	// Guests and carts.
	guests map[string]guestRecord
	carts  map[string]*cartRecord
	// Newsletter subscriptions by subscriptionKey.
	subscriptions map[string]customer.Subscription
	// The live sign-in codes, and when a login last mailed a "new
	// sign-in" notice, by key name.
	signInCodes map[string]customer.Link
	noticed     map[string]time.Time
	// Passkeys by customer and credential id (IDText); the sign-in
	// challenges by id, the registration challenges by customer.
	passkeys           map[string]map[string]passkey.Credential
	signInChallenges   map[string]passkey.Challenge
	registerChallenges map[string]passkey.Challenge

	// What a test may inspect.
	Outbox     []outbox.Message
	Events     []event.Event
	Activities []customer.Activity
	Consents   []customer.ConsentRecord
	// Attempts are the failed sign-ins on logins without an account.
	Attempts []account.SignIn

	// Err, when set, is returned by every call (a database outage).
	Err error
}

type key struct {
	customerID, registrationID string
	expires                    time.Time // zero: never
}

type counter struct {
	n    int
	gate time.Time
	ends time.Time
}

// New returns an empty store on the clock now.
func New(now func() time.Time) *Store {
	return &Store{now: now, customers: map[string]customer.Customer{}, keys: map[string]key{},
		pending: map[string]registration.Pending{}, sessions: map[session.Ref]session.Session{}, counters: map[string]counter{},
		devices: map[string]map[string]customer.Device{},
		ledger:  map[string]ledgerEntry{}, suppressed: map[string]bool{}, intervals: map[string]interval{},
		signInCodes: map[string]customer.Link{}, noticed: map[string]time.Time{},
		passkeys: map[string]map[string]passkey.Credential{}, signInChallenges: map[string]passkey.Challenge{},
		registerChallenges: map[string]passkey.Challenge{}}
}

// SetSignInCode makes l the live sign-in code of an email key that
// customerID holds; see the DynamoDB store's.
func (s *Store) SetSignInCode(_ context.Context, emailKeyName, customerID string, l customer.Link, a customer.Activity) error {
	return s.do(func() error {
		name := emailKey(emailKeyName)
		if h, ok := s.keys[name]; !ok || h.customerID != customerID {
			return customer.ErrNotFound
		}
		s.signInCodes[name] = l
		s.log(a)
		return nil
	})
}

func emailKey(k string) string { return "email:" + k }

// SpendSignInCode removes the sign-in code of digest; see the DynamoDB
// store's.
func (s *Store) SpendSignInCode(_ context.Context, emailKeyName, digest string) error {
	return s.do(func() error {
		name := emailKey(emailKeyName)
		if l, ok := s.signInCodes[name]; !ok || l.Digest != digest {
			return account.ErrCodeUsed
		}
		delete(s.signInCodes, name)
		return nil
	})
}

// loginName is the name of a login key of kind "email" or "username".
func loginName(kind, k string) string {
	if kind == "username" {
		return usernameKey(k)
	}
	return emailKey(k)
}
func usernameKey(k string) string { return "username:" + k }

// loginNames are the names of c's login keys: its email address's and its
// username's ("" when it has none).
func loginNames(c customer.Customer) (email, username string) {
	if c.Username != "" {
		username = usernameKey(customer.NormalizeLogin(c.Username))
	}
	return emailKey(customer.NormalizeLogin(c.Email)), username
}

// holder is a login key held by c, for as long as c lives.
func holder(c customer.Customer) key { return key{customerID: c.ID, expires: c.ExpiresAt} }

// free reports whether a login key may be claimed: nobody holds it, or its
// holder's time ran out.
func (s *Store) free(k string) bool {
	h, ok := s.keys[k]
	return !ok || (!h.expires.IsZero() && !s.now().Before(h.expires))
}

// tx is one all-or-nothing write: checks first, then the changes.
type tx struct {
	s       *Store
	checks  []func() error
	changes []func()
}

func (t *tx) check(f func() error) { t.checks = append(t.checks, f) }
func (t *tx) change(f func())      { t.changes = append(t.changes, f) }

// unclaimed adds the check that the login key name is free; taken is the
// error when it is not.
func (t *tx) unclaimed(name string, taken error) {
	t.check(func() error {
		if !t.s.free(name) {
			return taken
		}
		return nil
	})
}

// count adds counting one event on c (nil: none).
func (t *tx) count(c *throttle.Counter) {
	if c == nil {
		return
	}
	cc := *c
	t.check(func() error { return t.s.allows(cc) })
	t.change(func() {
		cur := t.s.live(cc)
		t.s.counters[cc.Key] = counter{n: cur.n + 1, gate: cc.NextGate(), ends: cc.Ends}
	})
}

func (t *tx) run() error {
	for _, c := range t.checks {
		if err := c(); err != nil {
			return err
		}
	}
	for _, c := range t.changes {
		c()
	}
	return nil
}

func (s *Store) live(c throttle.Counter) counter {
	cur, ok := s.counters[c.Key]
	if !ok || !s.now().Before(cur.ends.Add(time.Minute)) {
		return counter{}
	}
	return cur
}

func (s *Store) allows(c throttle.Counter) error {
	cur := s.live(c)
	if c.Allows(cur.n, cur.gate) {
		return nil
	}
	return &throttle.Exceeded{Counter: c, GateOpens: cur.gate}
}

// locked returns f's answer, run under the lock, or the store's Err (an
// outage) without running it.
func locked[T any](s *Store, f func() (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		var zero T
		return zero, s.Err
	}
	return f()
}

// do is locked for a call that answers only an error.
func (s *Store) do(f func() error) error {
	_, err := locked(s, func() (struct{}, error) { return struct{}{}, f() })
	return err
}

// write runs one all-or-nothing write under the lock: build adds its
// checks and changes.
func (s *Store) write(build func(t *tx)) error {
	return s.do(func() error {
		t := &tx{s: s}
		build(t)
		return t.run()
	})
}

// found returns m[k], or missing when m has no k.
func found[K comparable, V any](m map[K]V, k K, missing error) (V, error) {
	v, ok := m[k]
	if !ok {
		return v, missing
	}
	return v, nil
}

// log records an activity entry, unless a names no customer (none).
func (s *Store) log(a customer.Activity) {
	if a.CustomerID != "" {
		s.Activities = append(s.Activities, a)
	}
}

// registered applies what a registration (a Standard one, or a completion)
// writes besides the account and its keys: its consents, subscriptions,
// activity entry, mails and events.
func (s *Store) registered(consents []customer.ConsentRecord, subs []customer.Subscription, a customer.Activity,
	msgs []outbox.Message, evs []event.Event) {
	s.Consents = append(s.Consents, consents...)
	s.subscribe(subs, nil)
	s.log(a)
	s.Outbox = append(s.Outbox, msgs...)
	s.Events = append(s.Events, evs...)
}

// CreateAccount writes a Standard registration; see registration.Store.
func (s *Store) CreateAccount(_ context.Context, acc account.Creation) error {
	return s.write(func(t *tx) {
		c := acc.Customer
		if acc.ExternalKey != "" {
			t.unclaimed("imported:"+acc.ExternalKey, account.ErrAlreadyImported)
		}
		if acc.UsernameKey != "" {
			t.unclaimed(usernameKey(acc.UsernameKey), account.ErrUsernameTaken)
		}
		t.check(func() error {
			if !s.free(emailKey(acc.EmailKey)) {
				return account.ErrEmailTaken
			}
			if _, ok := s.customers[c.ID]; ok {
				return fmt.Errorf("memstore: customer %s exists", c.ID)
			}
			return nil
		})
		t.count(acc.Limit)
		t.change(func() {
			s.customers[c.ID] = c
			s.keys[emailKey(acc.EmailKey)] = holder(c)
			if acc.ExternalKey != "" {
				s.keys["imported:"+acc.ExternalKey] = holder(c)
			}
			if acc.UsernameKey != "" {
				s.keys[usernameKey(acc.UsernameKey)] = holder(c)
			}
			if acc.Session != nil {
				s.sessions[acc.Session.Ref()] = *acc.Session
			}
			if !acc.RevokeSession.IsZero() {
				delete(s.sessions, acc.RevokeSession)
			}
			s.registered(acc.Consents, acc.Subscriptions, acc.Activity, acc.Outbox, acc.Events)
		})
		t.handOver(acc.HandOver)
	})
}

// Submit writes a pending registration; see registration.Store.
func (s *Store) Submit(_ context.Context, sub registration.Submission) error {
	return s.write(func(t *tx) {
		p := sub.Pending
		if p.UsernameKey != "" {
			t.unclaimed(usernameKey(p.UsernameKey), account.ErrUsernameTaken)
		}
		t.count(sub.Limit)
		t.change(func() {
			s.pending[p.ID] = p
			if p.UsernameKey != "" {
				s.keys[usernameKey(p.UsernameKey)] = key{registrationID: p.ID, expires: p.ExpiresAt}
			}
			if !sub.RevokeSession.IsZero() {
				delete(s.sessions, sub.RevokeSession)
			}
			s.Outbox = append(s.Outbox, sub.Job)
		})
	})
}

// Stored returns every stored customer and pending registration (for
// tests).
func (s *Store) Stored() ([]customer.Customer, []registration.Pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs []customer.Customer
	for _, c := range s.customers {
		cs = append(cs, c)
	}
	var ps []registration.Pending
	for _, p := range s.pending {
		ps = append(ps, p)
	}
	return cs, ps
}

// StartSession stores a session (for tests of requests that carry one).
func (s *Store) StartSession(ss session.Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[ss.Ref()] = ss
	if _, ok := s.customers[ss.CustomerID]; !ok {
		s.customers[ss.CustomerID] = customer.Customer{ID: ss.CustomerID, Status: customer.Active}
	}
}

// Pending returns a stored pending registration (for tests).
func (s *Store) Pending(id string) (registration.Pending, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	return p, ok
}

// Put stores a customer and its login keys as a completed registration
// would (for tests that start from an account).
func (s *Store) Put(c customer.Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers[c.ID] = c
	email, username := loginNames(c)
	s.keys[email] = holder(c)
	if username != "" {
		s.keys[username] = holder(c)
	}
}

// Login returns the sign-in view of a login's holder; see signin.Store.
func (s *Store) Login(_ context.Context, kind, k string) (customer.Customer, error) {
	return locked(s, func() (customer.Customer, error) {
		name := loginName(kind, k)
		h, ok := s.keys[name]
		if !ok || h.customerID == "" || s.free(name) {
			return customer.Customer{}, customer.ErrNotFound
		}
		c := s.customers[h.customerID]
		var devices map[string]customer.Device
		if d := s.devices[name]; len(d) > 0 {
			devices = maps.Clone(d)
		}
		view := customer.Customer{ID: c.ID, PasswordHash: c.PasswordHash, Status: c.Status, StoreID: c.StoreID,
			Language: c.Language, ExpiresAt: c.ExpiresAt, RecoveredAt: c.RecoveredAt, Devices: devices,
			CodesVoidBefore: c.CodesVoidBefore, NoticedAt: s.noticed[name]}
		if l, ok := s.signInCodes[name]; ok {
			view.SignInCode = &l
		}
		return view, nil
	})
}

// dropKey releases a login key and forgets its devices.
func (s *Store) dropKey(name string) {
	delete(s.keys, name)
	delete(s.devices, name)
}

// device applies a sign-in's device write to its login key's devices.
func (s *Store) device(d *account.DeviceRecord, failed bool) {
	name := emailKey(d.Key)
	if d.Kind == "username" {
		name = usernameKey(d.Key)
	}
	if _, ok := s.keys[name]; !ok {
		return
	}
	if s.devices[name] == nil {
		s.devices[name] = map[string]customer.Device{}
	}
	if failed {
		if rec, ok := s.devices[name][d.ID]; ok {
			rec.Failures++
			s.devices[name][d.ID] = rec
		}
		return
	}
	delete(s.devices[name], d.Evict)
	s.devices[name][d.ID] = customer.Device{IssuedAt: d.IssuedAt}
}

// Customer returns a customer; see signin.Store.
func (s *Store) Customer(_ context.Context, id string) (customer.Customer, error) {
	return locked(s, func() (customer.Customer, error) { return found(s.customers, id, customer.ErrNotFound) })
}

// SignInFailed counts a failed sign-in; see signin.Store.
func (s *Store) SignInFailed(_ context.Context, a account.SignIn) error {
	return s.write(func(t *tx) {
		for i := range a.Counters {
			t.count(&a.Counters[i])
		}
		t.change(func() {
			switch {
			case a.Activity != nil:
				s.Activities = append(s.Activities, *a.Activity)
			case a.Job != nil:
				s.Outbox = append(s.Outbox, *a.Job)
			case a.Login != "":
				s.Attempts = append(s.Attempts, a)
			}
			if a.DeviceFailed != nil {
				s.device(a.DeviceFailed, true)
			}
		})
	})
}

// SignInSucceeded starts a session; see signin.Store.
func (s *Store) SignInSucceeded(_ context.Context, a account.SignIn) error {
	return s.write(func(t *tx) {
		if u := a.Code; u != nil {
			name := emailKey(u.EmailKey)
			t.check(func() error {
				if l, ok := s.signInCodes[name]; !ok || l.Digest != u.Digest {
					return account.ErrCodeUsed
				}
				return nil
			})
			t.change(func() { delete(s.signInCodes, name) })
		}
		for _, c := range a.Counters {
			switch c.Kind {
			case throttle.SignInLoginClient, throttle.SignInLogin, throttle.SignInDevice:
				t.check(func() error { return s.allows(c) })
				t.change(func() { delete(s.counters, c.Key) })
			case throttle.SignInClient:
				t.check(func() error { return s.allows(c) })
			default:
				t.count(&c)
			}
		}
		if u := a.Passkey; u != nil {
			t.passkeyUse(u)
		}
		t.change(func() {
			if a.Session != nil {
				s.sessions[a.Session.Ref()] = *a.Session
			}
			if a.Activity != nil {
				s.Activities = append(s.Activities, *a.Activity)
			}
			s.Events = append(s.Events, a.Events...)
			if a.Notice != nil {
				s.Outbox = append(s.Outbox, *a.Notice)
			}
			if a.Device != nil {
				s.device(a.Device, false)
				if a.Device.Noticed {
					s.noticed[loginName(a.Device.Kind, a.Device.Key)] = a.At
				}
			}
		})
		t.handOver(a.HandOver)
	})
}

// UpdatePasswordHash replaces a hash if it is unchanged; see signin.Store.
func (s *Store) UpdatePasswordHash(_ context.Context, c customer.Customer, hash string, a customer.Activity) error {
	return s.write(func(t *tx) {
		t.check(func() error {
			if s.customers[c.ID].PasswordHash != c.PasswordHash {
				return fmt.Errorf("memstore: password hash of %s changed meanwhile", c.ID)
			}
			return nil
		})
		// Only the hash changes: the status stays what the latest write made it.
		t.change(func() {
			cur := s.customers[c.ID]
			cur.PasswordHash = hash
			s.customers[c.ID] = cur
			s.Activities = append(s.Activities, a)
		})
	})
}

// SessionOf returns a session with its customer; see session.Store.
func (s *Store) SessionOf(_ context.Context, r session.Ref) (ss session.Session, c customer.Customer, err error) {
	err = s.do(func() error {
		var live, known bool
		ss, live = s.sessions[r]
		c, known = s.customers[r.CustomerID]
		if !live || !known {
			ss, c = session.Session{}, customer.Customer{}
			return session.ErrNotFound
		}
		return nil
	})
	return ss, c, err
}

// VoidCodes spends the customer's codes mailed before at; see the DynamoDB
// store's.
func (s *Store) VoidCodes(_ context.Context, customerID, _ string, at time.Time) error {
	return s.do(func() error {
		if c, ok := s.customers[customerID]; ok {
			c.CodesVoidBefore, c.UpdatedAt = at, at
			s.customers[customerID] = c
		}
		return nil
	})
}

// TouchSession records a session's last use; see session.Store.
func (s *Store) TouchSession(_ context.Context, r session.Ref, at time.Time) error {
	return s.do(func() error {
		if ss, ok := s.sessions[r]; ok {
			ss.LastUsedAt = at
			s.sessions[r] = ss
		}
		return nil
	})
}

// SessionsOf returns a customer and their sessions; see the DynamoDB
// store's.
func (s *Store) SessionsOf(_ context.Context, customerID string) (c customer.Customer, all []session.Session, err error) {
	err = s.do(func() error {
		var known bool
		if c, known = s.customers[customerID]; !known {
			return customer.ErrNotFound
		}
		for r, ss := range s.sessions {
			if r.CustomerID == customerID {
				all = append(all, ss)
			}
		}
		return nil
	})
	return c, all, err
}

// EndSession ends a session; see session.Store.
func (s *Store) EndSession(_ context.Context, r session.Ref, a customer.Activity, events []event.Event) error {
	return s.write(func(t *tx) {
		t.change(func() {
			if ss, ok := s.sessions[r]; ok {
				delete(s.sessions, r)
				if ss.ImpersonatedBy != "" {
					d := maps.Clone(a.Detail)
					if d == nil {
						d = map[string]string{}
					}
					d["impersonatedBy"] = ss.ImpersonatedBy
					a.Detail = d
				}
				s.Activities = append(s.Activities, a)
				s.Events = append(s.Events, events...)
			}
		})
	})
}

// Sessions counts the live sessions of a customer (for tests).
func (s *Store) Sessions(customerID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for r := range s.sessions {
		if r.CustomerID == customerID {
			n++
		}
	}
	return n
}

// Count counts one event on c alone; *throttle.Exceeded when it is over
// (nothing counted then). See the DynamoDB store's Count.
func (s *Store) Count(_ context.Context, c throttle.Counter) error {
	return s.write(func(t *tx) { t.count(&c) })
}

// Enqueue stores a job with the client's count; see verification.Jobs.
func (s *Store) Enqueue(_ context.Context, job outbox.Message, limit *throttle.Counter) error {
	return s.write(func(t *tx) {
		t.count(limit)
		t.change(func() { s.Outbox = append(s.Outbox, job) })
	})
}

// Confirm verifies an address; see verification.Store.
func (s *Store) Confirm(_ context.Context, c verification.Confirmation) error {
	return s.write(func(t *tx) {
		t.check(func() error {
			cur, ok := s.customers[c.CustomerID]
			if !ok || cur.Status != customer.Unverified || cur.Link == nil || cur.Link.Digest != c.Digest ||
				cur.Link.Expired(c.At) || cur.Link.Attempts >= verification.MaxPasswordTries || cur.Expired(c.At) {
				return verification.ErrConflict
			}
			return nil
		})
		t.change(func() {
			cur := s.customers[c.CustomerID]
			cur.Status, cur.EmailVerifiedAt, cur.UpdatedAt, cur.VerifiedLink = c.Next, c.At, c.At, c.Digest
			if c.PasswordHash != "" {
				cur.PasswordHash = c.PasswordHash
			}
			cur.Link, cur.ExpiresAt = nil, time.Time{}
			s.customers[c.CustomerID] = cur
			if a := c.Activation; a != nil {
				s.subscribe(a.Apply(s.subscriptionsOf(a.StoreID, customer.NormalizeLogin(a.Email))), nil)
			}
			for _, k := range []string{emailKey(c.EmailKey), usernameKey(c.UsernameKey)} {
				if h, ok := s.keys[k]; ok && h.customerID == c.CustomerID {
					h.expires = time.Time{}
					s.keys[k] = h
				}
			}
			if c.Session != nil {
				s.sessions[c.Session.Ref()] = *c.Session
			}
			s.Activities = append(s.Activities, c.Activity)
			s.Outbox = append(s.Outbox, c.Outbox...)
			s.Events = append(s.Events, c.Events...)
		})
		t.handOver(c.HandOver)
	})
}

// LinkFailed counts a wrong password on the live link; see
// verification.Store.
func (s *Store) LinkFailed(_ context.Context, customerID, digest string) (int, error) {
	return locked(s, func() (int, error) {
		cur, ok := s.customers[customerID]
		if !ok || cur.Status != customer.Unverified || cur.Link == nil || cur.Link.Digest != digest ||
			cur.Link.Attempts >= verification.MaxPasswordTries {
			return 0, verification.ErrConflict
		}
		l := *cur.Link
		l.Attempts++
		cur.Link = &l
		s.customers[customerID] = cur
		return l.Attempts, nil
	})
}

// Failures returns how many events c holds in its window.
func (s *Store) Failures(_ context.Context, c throttle.Counter) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(c).n, nil
}

// RecordVat stores a VAT check on the customer; see vat.Store.
func (s *Store) RecordVat(_ context.Context, read customer.Customer, check customer.VatCheck, at time.Time) error {
	return s.write(func(t *tx) {
		t.check(func() error {
			cur, ok := s.customers[read.ID]
			if !ok || !cur.UpdatedAt.Equal(read.UpdatedAt) || cur.Profile.VatNumber != check.Number {
				return vat.ErrConflict
			}
			return nil
		})
		t.change(func() {
			cur := s.customers[read.ID]
			cur.Vat, cur.UpdatedAt = &check, at
			s.customers[read.ID] = cur
		})
	})
}
