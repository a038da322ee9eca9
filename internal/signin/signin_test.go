package signin_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
)

var ctx = context.Background()

// appErr returns err as *apperr.Error with the wanted code, failing the test
// otherwise.
func appErr(t *testing.T, err error, want apperr.Code) *apperr.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	e := apperr.As(err)
	if e.Code != want {
		t.Fatalf("got error code %s (%v), want %s", e.Code, err, want)
	}
	return e
}

func signIn(t *testing.T, f *fixture, login, pw string) (signin.Result, error) {
	t.Helper()
	return f.svc.SignIn(ctx, signin.Request{Login: login, Password: pw})
}

// mustSignIn signs in and fails the test on an error.
func mustSignIn(t *testing.T, f *fixture, req signin.Request) signin.Result {
	t.Helper()
	res, err := f.svc.SignIn(ctx, req)
	if err != nil {
		t.Fatalf("SignIn(%q): got %v, want success", req.Login, err)
	}
	return res
}

func TestSignInSucceeds(t *testing.T) {
	tests := []struct {
		name       string
		login      string
		rememberMe bool
		wantExpiry time.Time
	}{
		{"the right password starts a session for the customer", "Ada@Example.com", false, start.Add(24 * time.Hour)},
		{"the email is trimmed and compared case-insensitively", "  aDa@eXample.COM ", false, start.Add(24 * time.Hour)},
		{"remember me starts a session of the remember-me lifetime", "ada@example.com", true, start.Add(30 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.addCustomer(t, ada())
			res := mustSignIn(t, f, signin.Request{Login: tt.login, Password: goodPassword, RememberMe: tt.rememberMe, SourceIP: "192.0.2.1"})
			if res.CustomerID != c.ID {
				t.Errorf("got customer %q, want %q", res.CustomerID, c.ID)
			}
			if !res.Session.ExpiresAt.Equal(tt.wantExpiry) {
				t.Errorf("got expiry %v, want %v", res.Session.ExpiresAt, tt.wantExpiry)
			}
			sess, err := f.mgr.Authenticate(ctx, res.Session.Token)
			if err != nil {
				t.Fatalf("got %v authenticating the issued token, want a live session", err)
			}
			if sess.CustomerID != c.ID || sess.RememberMe != tt.rememberMe {
				t.Errorf("got session %+v, want one of %s with rememberMe %v", sess, c.ID, tt.rememberMe)
			}
			want := []customer.Activity{{CustomerID: c.ID, Type: customer.ActivitySignedIn, At: start, Detail: map[string]string{"sourceIp": "192.0.2.1"}}}
			if len(f.store.activities) != 1 || f.store.activities[0].Type != want[0].Type ||
				f.store.activities[0].CustomerID != c.ID || !f.store.activities[0].At.Equal(start) ||
				f.store.activities[0].Detail["sourceIp"] != "192.0.2.1" {
				t.Errorf("got activities %+v, want %+v", f.store.activities, want)
			}
		})
	}

	t.Run("a success clears the failures counted before it", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		for range 2 {
			_, err := signIn(t, f, "ada@example.com", "wrong")
			appErr(t, err, apperr.InvalidCredentials)
		}
		mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		if len(f.store.failures) != 0 {
			t.Errorf("got failure state %+v, want it cleared", f.store.failures)
		}
		// Two more failures stay below the limit of three again.
		for i := range 2 {
			_, err := signIn(t, f, "ada@example.com", "wrong")
			if e := appErr(t, err, apperr.InvalidCredentials); e.RetryAfter != 0 {
				t.Errorf("attempt %d: got RetryAfter %v, want none", i+1, e.RetryAfter)
			}
		}
	})
}

func TestSignInRedirect(t *testing.T) {
	tests := []struct {
		name      string
		returnURL string
		want      string
	}{
		{"a local path is kept", "/cart", "/cart"},
		{"a local path with a query is kept", "/checkout?step=2", "/checkout?step=2"},
		{"a protocol-relative URL becomes /", "//evil.example", "/"},
		{"a backslash trick becomes /", `/\evil.example`, "/"},
		{"an absolute URL becomes /", "https://evil.example/", "/"},
		{"no return URL becomes /", "", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.addCustomer(t, ada())
			res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword, ReturnURL: tt.returnURL})
			if res.Redirect != tt.want {
				t.Errorf("got redirect %q, want %q", res.Redirect, tt.want)
			}
		})
	}
}

func TestWrongPasswordAndUnknownLoginLookAlike(t *testing.T) {
	tests := []struct {
		name  string
		login string
	}{
		{"a wrong password for an existing login", "ada@example.com"},
		{"an unknown login", "nobody@example.com"},
	}
	var errs []*apperr.Error
	for _, tt := range tests {
		t.Run(tt.name+" is invalid_credentials and counts a failure", func(t *testing.T) {
			f := newFixture(t)
			f.addCustomer(t, ada())
			_, err := signIn(t, f, tt.login, "wrong password")
			e := appErr(t, err, apperr.InvalidCredentials)
			errs = append(errs, e)
			if len(f.store.recorded) != 1 {
				t.Fatalf("got %d recorded failures, want 1", len(f.store.recorded))
			}
			if key := f.store.recorded[0]; strings.Contains(key, tt.login) {
				t.Errorf("got throttle key %q, want one that does not store the login in clear", key)
			}
			if len(f.sessions.sessions) != 0 {
				t.Errorf("got %d sessions, want none", len(f.sessions.sessions))
			}
			if len(f.store.cleared) != 0 {
				t.Errorf("got failures cleared for %v, want none cleared", f.store.cleared)
			}
		})
	}
	t.Run("both answers are identical in code, message and fields", func(t *testing.T) {
		if len(errs) != 2 {
			t.Skip("an earlier subtest failed")
		}
		a, b := errs[0], errs[1]
		if a.Code != b.Code || a.Message != b.Message || a.RetryAfter != b.RetryAfter || !slices.Equal(a.Fields, b.Fields) {
			t.Errorf("got %+v for a wrong password and %+v for an unknown login, want them identical", a, b)
		}
	})

	t.Run("an unknown login costs the same store reads as a wrong password", func(t *testing.T) {
		reads := func(login string) [3]int {
			f := newFixture(t)
			f.addCustomer(t, ada())
			_, _ = signIn(t, f, login, "wrong password")
			return [3]int{len(f.store.lookups), f.store.customerReads, f.store.failuresReads}
		}
		known, unknown := reads("ada@example.com"), reads("nobody@example.com")
		if known != unknown {
			t.Errorf("got [lookups customer-reads failure-reads] %v for a wrong password and %v for an unknown login, want them equal", known, unknown)
		}
	})

	t.Run("spellings of one login share one failure counter", func(t *testing.T) {
		f := newFixture(t)
		for _, login := range []string{" Nobody@Example.com ", "nobody@example.com", "NOBODY@EXAMPLE.COM"} {
			_, _ = signIn(t, f, login, "wrong password")
		}
		if len(f.store.recorded) != 3 || f.store.recorded[0] != f.store.recorded[1] || f.store.recorded[1] != f.store.recorded[2] {
			t.Errorf("got throttle keys %q, want one key for all spellings", f.store.recorded)
		}
	})

	t.Run("different logins have different failure counters", func(t *testing.T) {
		f := newFixture(t)
		_, _ = signIn(t, f, "a@example.com", "wrong password")
		_, _ = signIn(t, f, "b@example.com", "wrong password")
		if len(f.store.recorded) != 2 || f.store.recorded[0] == f.store.recorded[1] {
			t.Errorf("got throttle keys %q, want two different keys", f.store.recorded)
		}
	})
}

func TestLockout(t *testing.T) {
	lockFor := 15 * time.Minute // the fixture's Lockout.Duration
	for _, login := range []string{"ada@example.com", "nobody@example.com"} {
		t.Run("the failure that reaches the limit locks "+login+" for the lock duration", func(t *testing.T) {
			f := newFixture(t)
			f.addCustomer(t, ada())
			for i := 1; i < f.settings.Lockout.MaxFailedAttempts; i++ {
				_, err := signIn(t, f, login, "wrong password")
				appErr(t, err, apperr.InvalidCredentials)
			}
			_, err := signIn(t, f, login, "wrong password")
			e := appErr(t, err, apperr.LockedOut)
			if e.RetryAfter != lockFor {
				t.Errorf("got RetryAfter %v, want %v", e.RetryAfter, lockFor)
			}
		})
	}

	// lock fails three times so that ada is locked at start.
	lock := func(t *testing.T, f *fixture) {
		t.Helper()
		for range f.settings.Lockout.MaxFailedAttempts {
			_, _ = signIn(t, f, "ada@example.com", "wrong password")
		}
	}

	t.Run("while locked even the right password is refused without looking up the customer", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		lock(t, f)
		lookups, recorded := len(f.store.lookups), len(f.store.recorded)
		_, err := signIn(t, f, "ada@example.com", goodPassword)
		e := appErr(t, err, apperr.LockedOut)
		if e.RetryAfter != lockFor {
			t.Errorf("got RetryAfter %v, want %v", e.RetryAfter, lockFor)
		}
		if len(f.store.lookups) != lookups {
			t.Errorf("got lookups %v after the lock, want none", f.store.lookups[lookups:])
		}
		if len(f.store.recorded) != recorded {
			t.Errorf("got %d more failures recorded while locked, want none", len(f.store.recorded)-recorded)
		}
		if len(f.sessions.sessions) != 0 {
			t.Errorf("got %d sessions, want none", len(f.sessions.sessions))
		}
	})

	t.Run("while locked the retry time counts down", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		lock(t, f)
		f.clock.Advance(5 * time.Minute)
		_, err := signIn(t, f, "ada@example.com", goodPassword)
		if e := appErr(t, err, apperr.LockedOut); e.RetryAfter != 10*time.Minute {
			t.Errorf("got RetryAfter %v, want 10m", e.RetryAfter)
		}
	})

	t.Run("one second before the lock ends it still holds", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		lock(t, f)
		f.clock.Advance(lockFor - time.Second)
		_, err := signIn(t, f, "ada@example.com", goodPassword)
		if e := appErr(t, err, apperr.LockedOut); e.RetryAfter != time.Second {
			t.Errorf("got RetryAfter %v, want 1s", e.RetryAfter)
		}
	})

	t.Run("after the lock ends the right password works", func(t *testing.T) {
		f := newFixture(t)
		c := f.addCustomer(t, ada())
		lock(t, f)
		f.clock.Advance(lockFor)
		res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		if res.CustomerID != c.ID {
			t.Errorf("got customer %q, want %q", res.CustomerID, c.ID)
		}
	})

	t.Run("after the lock ends a wrong password is invalid_credentials again", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		lock(t, f)
		f.clock.Advance(lockFor)
		_, err := signIn(t, f, "ada@example.com", "wrong password")
		appErr(t, err, apperr.InvalidCredentials)
	})

	t.Run("a lock on one login does not lock another", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		f.addCustomer(t, customer.Customer{ID: "cust-bob", Email: "bob@example.com", Status: customer.Active})
		lock(t, f)
		mustSignIn(t, f, signin.Request{Login: "bob@example.com", Password: goodPassword})
	})

	t.Run("failures further apart than the window do not add up", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		for range 2 {
			_, _ = signIn(t, f, "ada@example.com", "wrong password")
		}
		f.clock.Advance(31 * time.Minute)
		for range 2 {
			_, err := signIn(t, f, "ada@example.com", "wrong password")
			appErr(t, err, apperr.InvalidCredentials)
		}
	})

	t.Run("with the lockout turned off failures are neither counted nor locked", func(t *testing.T) {
		f := newFixture(t, func(s *settings.Settings) { s.Lockout = settings.Lockout{} })
		f.addCustomer(t, ada())
		for range 10 {
			_, err := signIn(t, f, "ada@example.com", "wrong password")
			appErr(t, err, apperr.InvalidCredentials)
		}
		if len(f.store.recorded) != 0 || f.store.failuresReads != 0 {
			t.Errorf("got %d attempts counted and %d store calls, want none", len(f.store.recorded), f.store.failuresReads)
		}
		mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
	})
}

func TestStatusRules(t *testing.T) {
	tests := []struct {
		name     string
		status   customer.Status
		password string
		want     apperr.Code // "" for success
		wantFail bool        // whether a failure is counted
	}{
		{"an active account with the right password signs in", customer.Active, goodPassword, "", false},
		{"an unverified account with the right password is told to verify", customer.Unverified, goodPassword, apperr.EmailNotVerified, false},
		{"an account awaiting approval with the right password is told so", customer.PendingApproval, goodPassword, apperr.PendingApproval, false},
		{"a deactivated account with the right password looks like bad credentials", customer.Deactivated, goodPassword, apperr.InvalidCredentials, true},
		{"an unverified account with a wrong password reveals nothing", customer.Unverified, "wrong password", apperr.InvalidCredentials, true},
		{"an account awaiting approval with a wrong password reveals nothing", customer.PendingApproval, "wrong password", apperr.InvalidCredentials, true},
		{"a deactivated account with a wrong password reveals nothing", customer.Deactivated, "wrong password", apperr.InvalidCredentials, true},
		{"an active account with a wrong password is bad credentials", customer.Active, "wrong password", apperr.InvalidCredentials, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := ada()
			c.Status = tt.status
			f.addCustomer(t, c)
			res, err := signIn(t, f, "ada@example.com", tt.password)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if res.CustomerID != c.ID {
					t.Errorf("got customer %q, want %q", res.CustomerID, c.ID)
				}
			} else {
				appErr(t, err, tt.want)
				if len(f.sessions.sessions) != 0 {
					t.Errorf("got %d sessions, want none", len(f.sessions.sessions))
				}
			}
			if got := f.store.counted() == 1; got != tt.wantFail {
				t.Errorf("got %d failures left on record, want a failure counted: %v", f.store.counted(), tt.wantFail)
			}
		})
	}

	t.Run("a deactivated account's answer is the same as a wrong password's", func(t *testing.T) {
		f := newFixture(t)
		c := ada()
		c.Status = customer.Deactivated
		f.addCustomer(t, c)
		_, errRight := signIn(t, f, "ada@example.com", goodPassword)
		_, errWrong := signIn(t, f, "nobody@example.com", "wrong password")
		a, b := apperr.As(errRight), apperr.As(errWrong)
		if a.Code != b.Code || a.Message != b.Message {
			t.Errorf("got %q/%q for deactivated and %q/%q for unknown, want identical", a.Code, a.Message, b.Code, b.Message)
		}
	})
}

func TestUsernameLogin(t *testing.T) {
	tests := []struct {
		name       string
		usernames  bool
		login      string
		wantLookup string
		wantOK     bool
	}{
		{"with usernames on, a login without @ is looked up as a username", true, " Ada_L ", "username:ada_l", true},
		{"with usernames on, a login with @ is looked up as an email", true, "ada@example.com", "email:ada@example.com", true},
		{"with usernames off, a login without @ is looked up as an email", false, "ada_l", "email:ada_l", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(s *settings.Settings) { s.UsernamesEnabled = tt.usernames })
			c := f.addCustomer(t, ada())
			res, err := signIn(t, f, tt.login, goodPassword)
			if want := []string{tt.wantLookup}; !slices.Equal(f.store.lookups, want) {
				t.Errorf("got lookups %q, want %q", f.store.lookups, want)
			}
			if tt.wantOK {
				if err != nil || res.CustomerID != c.ID {
					t.Errorf("got %q, %v; want customer %q", res.CustomerID, err, c.ID)
				}
				return
			}
			appErr(t, err, apperr.InvalidCredentials)
		})
	}
}

func TestRehash(t *testing.T) {
	t.Run("a hash made with other parameters is replaced by one made with the current parameters", func(t *testing.T) {
		f := newFixture(t)
		old, err := password.NewHasher(password.Params{MemoryKiB: 32, Iterations: 2, Parallelism: 1}, strings.NewReader(strings.Repeat("s", 4096)))
		if err != nil {
			t.Fatal(err)
		}
		oldHash, err := old.Hash(goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		c := ada()
		c.PasswordHash = oldHash
		f.addCustomer(t, c)

		mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})

		if len(f.store.hashUpdates) != 1 {
			t.Fatalf("got %d hash updates, want 1", len(f.store.hashUpdates))
		}
		u := f.store.hashUpdates[0]
		if u.id != c.ID || u.old != oldHash {
			t.Errorf("got update of %q from %q, want %q from the old hash", u.id, u.old, c.ID)
		}
		ok, needsRehash, err := f.hasher.Verify(goodPassword, u.new)
		if err != nil || !ok || needsRehash {
			t.Errorf("got new hash %q verifying as ok=%v needsRehash=%v err=%v, want a current-parameter hash of the password", u.new, ok, needsRehash, err)
		}
		if !strings.Contains(u.new, "$m=64,t=1,p=1$") {
			t.Errorf("got new hash %q, want the current parameters m=64,t=1,p=1", u.new)
		}
		if got := f.store.customers[c.ID].PasswordHash; got != u.new {
			t.Errorf("got stored hash %q, want the new one", got)
		}
		var types []customer.ActivityType
		for _, a := range f.store.activities {
			types = append(types, a.Type)
		}
		if !slices.Contains(types, customer.ActivityPasswordRehash) {
			t.Errorf("got activities %v, want a %s entry", types, customer.ActivityPasswordRehash)
		}
	})

	t.Run("a hash made with the current parameters is left alone", func(t *testing.T) {
		f := newFixture(t)
		f.addCustomer(t, ada())
		mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		if len(f.store.hashUpdates) != 0 {
			t.Errorf("got hash updates %+v, want none", f.store.hashUpdates)
		}
	})

	t.Run("a failed rehash does not fail the sign-in", func(t *testing.T) {
		f := newFixture(t)
		old, _ := password.NewHasher(password.Params{MemoryKiB: 32, Iterations: 1, Parallelism: 1}, strings.NewReader(strings.Repeat("s", 4096)))
		oldHash, _ := old.Hash(goodPassword)
		c := ada()
		c.PasswordHash = oldHash
		f.addCustomer(t, c)
		f.store.hashUpdateErr = apperr.New(apperr.Unavailable, "down")
		res := mustSignIn(t, f, signin.Request{Login: "ada@example.com", Password: goodPassword})
		if res.CustomerID != c.ID {
			t.Errorf("got customer %q, want %q", res.CustomerID, c.ID)
		}
	})

	t.Run("a wrong password never triggers a rehash", func(t *testing.T) {
		f := newFixture(t)
		old, _ := password.NewHasher(password.Params{MemoryKiB: 32, Iterations: 1, Parallelism: 1}, strings.NewReader(strings.Repeat("s", 4096)))
		oldHash, _ := old.Hash(goodPassword)
		c := ada()
		c.PasswordHash = oldHash
		f.addCustomer(t, c)
		_, err := signIn(t, f, "ada@example.com", "wrong password")
		appErr(t, err, apperr.InvalidCredentials)
		if len(f.store.hashUpdates) != 0 {
			t.Errorf("got hash updates %+v, want none", f.store.hashUpdates)
		}
	})
}

func TestSignInValidation(t *testing.T) {
	long := strings.Repeat("a", 1025)
	tests := []struct {
		name       string
		login, pw  string
		wantFields []apperr.FieldError
	}{
		{"an empty login is required", "", goodPassword,
			[]apperr.FieldError{{Field: "login", Code: "required"}}},
		{"a login of only spaces is required", "   ", goodPassword,
			[]apperr.FieldError{{Field: "login", Code: "required"}}},
		{"an empty password is required", "ada@example.com", "",
			[]apperr.FieldError{{Field: "password", Code: "required"}}},
		{"an empty login and password are both reported", "", "",
			[]apperr.FieldError{{Field: "login", Code: "required"}, {Field: "password", Code: "required"}}},
		{"a login with a control character is invalid", "ada\n@example.com", goodPassword,
			[]apperr.FieldError{{Field: "login", Code: "invalid_login"}}},
		{"an over-long login is invalid", long + "@example.com", goodPassword,
			[]apperr.FieldError{{Field: "login", Code: "invalid_login"}}},
		{"an over-long password is too long", "ada@example.com", long,
			[]apperr.FieldError{{Field: "password", Code: "too_long"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.addCustomer(t, ada())
			_, err := signIn(t, f, tt.login, tt.pw)
			e := appErr(t, err, apperr.Validation)
			var got []apperr.FieldError
			for _, fe := range e.Fields {
				got = append(got, apperr.FieldError{Field: fe.Field, Code: fe.Code})
			}
			if !slices.Equal(got, tt.wantFields) {
				t.Errorf("got fields %+v, want %+v", got, tt.wantFields)
			}
			if len(f.store.lookups) != 0 || f.store.failuresReads != 0 || len(f.store.recorded) != 0 {
				t.Errorf("got %d lookups, %d failure reads, %d failures recorded; want no store access",
					len(f.store.lookups), f.store.failuresReads, len(f.store.recorded))
			}
		})
	}
}

func TestSignInStoreFailures(t *testing.T) {
	down := apperr.New(apperr.Unavailable, "database down")
	tests := []struct {
		name  string
		setup func(s *fakeStore)
	}{
		{"a failing attempt count is returned", func(s *fakeStore) { s.failuresErr = down }},
		{"a failing customer read is returned", func(s *fakeStore) { s.customerErr = down }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.addCustomer(t, ada())
			tt.setup(f.store)
			_, err := signIn(t, f, "ada@example.com", goodPassword)
			appErr(t, err, apperr.Unavailable)
			if len(f.sessions.sessions) != 0 {
				t.Errorf("got %d sessions, want none", len(f.sessions.sessions))
			}
		})
	}
}
