package signin_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/device"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/signin"
)

// withDevices is a fixture whose sign-in trusts devices, with a per-login
// limit that one failure closes (frozen clock: the gate never reopens).
func withDevices(t *testing.T, mutate func(*settings.Settings)) *fixture {
	t.Helper()
	f := newFixture(t, func(st *settings.Settings) {
		st.SignInThrottle.PerLogin = settings.Limit{Max: 1, Window: settings.Duration(time.Hour)}
		st.SignInThrottle.PerLoginAndClient = settings.Limit{Max: 100, Window: settings.Duration(time.Hour)}
		st.SignInThrottle.PerClient = settings.Limit{Max: 100, Window: settings.Duration(time.Hour)}
		if mutate != nil {
			mutate(st)
		}
	})
	keys := device.NewKeyring(func(context.Context) (string, error) {
		return `{"current":"k1","k1":"0123456789abcdef0123456789abcdef"}`, nil
	}, f.Clock.Now)
	f.svc = signin.New(signin.Deps{Settings: f.Settings, Store: f.Store, Sessions: f.Sessions, Hasher: f.Hasher, Devices: keys,
		Random: rand.Reader, Now: f.Clock.Now, Log: f.Log})
	f.account(t, customer.Active, nil)
	return f
}

func (f *fixture) fromDevice(t *testing.T, password, deviceToken, ip string) (signin.Result, error) {
	t.Helper()
	return f.svc.SignIn(context.Background(), signin.Request{Login: "ada@example.com", Password: password, SourceIP: ip, DeviceToken: deviceToken})
}

// closeGate fails the login from elsewhere until its per-login gate is shut.
func (f *fixture) closeGate(t *testing.T) {
	t.Helper()
	for range 3 {
		_, _ = f.fromDevice(t, "guess", "", "198.51.100.9")
	}
	if _, err := f.fromDevice(t, pw, "", "203.0.113.1"); err == nil {
		t.Fatal("the gate is open: a new device got in")
	}
}

func TestDeviceTrust(t *testing.T) {
	t.Run("a device that signed in before passes the closed gate; its token is not renewed", func(t *testing.T) {
		f := withDevices(t, nil)
		first, err := f.fromDevice(t, pw, "", "203.0.113.1")
		if err != nil || first.Device == nil {
			t.Fatalf("first sign-in: %v, device %+v", err, first.Device)
		}
		f.closeGate(t)
		again, err := f.fromDevice(t, pw, first.Device.Token, "203.0.113.1")
		if err != nil || again.Device != nil {
			t.Errorf("the device: %v, new token %+v", err, again.Device)
		}
	})
	t.Run("a reset's recovery ends the trust of tokens issued before it", func(t *testing.T) {
		f := withDevices(t, nil)
		first, _ := f.fromDevice(t, pw, "", "203.0.113.1")
		f.Clock.Advance(2 * time.Second)
		c, _ := f.Store.Customer(context.Background(), adaID)
		c.RecoveredAt = f.Clock.Now()
		f.Store.Put(c)
		f.closeGate(t)
		if _, err := f.fromDevice(t, pw, first.Device.Token, "203.0.113.1"); err == nil {
			t.Error("a token from before the recovery passed the gate")
		}
	})
	t.Run("a token past its lifetime is worth nothing", func(t *testing.T) {
		f := withDevices(t, func(s *settings.Settings) { s.DeviceTrust.Lifetime = settings.Duration(time.Hour) })
		first, _ := f.fromDevice(t, pw, "", "203.0.113.1")
		f.Clock.Advance(2 * time.Hour)
		f.closeGate(t)
		if _, err := f.fromDevice(t, pw, first.Device.Token, "203.0.113.1"); err == nil {
			t.Error("an expired token passed the gate")
		}
	})
	t.Run("a login remembers at most maxPerLogin devices, forgetting the oldest", func(t *testing.T) {
		f := withDevices(t, func(s *settings.Settings) { s.DeviceTrust.MaxPerLogin = 2 })
		var toks []string
		for range 3 {
			r, err := f.fromDevice(t, pw, "", "203.0.113.1")
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, r.Device.Token)
			f.Clock.Advance(time.Second)
		}
		v, _ := f.Store.Login(context.Background(), "email", "ada@example.com")
		if len(v.Devices) != 2 {
			t.Fatalf("%d devices remembered, want 2", len(v.Devices))
		}
		f.closeGate(t)
		if _, err := f.fromDevice(t, pw, toks[0], "203.0.113.1"); err == nil {
			t.Error("the forgotten oldest device passed the gate")
		}
		if _, err := f.fromDevice(t, pw, toks[2], "203.0.113.1"); err != nil {
			t.Errorf("the newest device: %v", err)
		}
	})
	t.Run("without keys no token is issued and sign-in works as before", func(t *testing.T) {
		f := newFixture(t, nil)
		f.account(t, customer.Active, nil)
		r, err := f.svc.SignIn(context.Background(), signin.Request{Login: "ada@example.com", Password: pw, DeviceToken: "d1.k1.x.y"})
		if err != nil || r.Device != nil {
			t.Errorf("%v %+v", err, r.Device)
		}
	})
}

func TestConcurrentGuessesFromAStolenDeviceStopAtItsLimit(t *testing.T) {
	f := withDevices(t, nil)
	first, err := f.fromDevice(t, pw, "", "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	f.closeGate(t)
	// Ten guesses at once, each reading the device's record before any
	// failure is counted: the device's counter lets five through.
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for i := range 10 {
		wg.Go(func() {
			_, err := f.fromDevice(t, "a guess", first.Device.Token, fmt.Sprintf("198.51.100.%d", 20+i))
			if apperr.CodeOf(err) == apperr.TooManyRequests {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if refused < 5 {
		t.Errorf("%d of ten concurrent guesses refused, want at least five (the device allows five failures)", refused)
	}
}
