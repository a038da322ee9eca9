package signin

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/device"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
)

// Devices (OWASP's device cookie; internal/device has the token). A
// successful sign-in gives the device a token for the login typed and
// records the device on the login's key; a right password from a device
// whose token verifies for that login, was issued after the account's last
// recovery (a reset, a password change, a sign-out everywhere or an address
// change ends the trust of every token issued before it) and within the
// token's lifetime, and whose record has fewer than maxFailures failures,
// skips the per-login gate. Guessing from many addresses slows the login
// down for everyone else, never for its owner. The check reads nothing
// beyond the login's key, which every sign-in reads anyway; a success from
// a new device adds one update of that key to the sign-in's write, and a
// failure from a known device one more.

// deviceOf verifies the request's device token for the login typed; nil
// when there is none, it does not verify, or devices are off. The keys are
// those read (zero when devices are off or their secret could not be
// read: then no device is trusted and none is issued).
func (s *Service) deviceOf(ctx context.Context, kind, key, plain string) (*device.Keys, *device.Token) {
	if s.devices == nil {
		return nil, nil
	}
	keys, err := s.devices.Keys(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "device keys unreadable: no device is trusted", "error", err)
		return nil, nil
	}
	plain = strings.TrimSpace(plain)
	if plain == "" {
		return &keys, nil
	}
	t, ok := keys.Verify(plain, deviceSubject(kind, key))
	if !ok {
		return &keys, nil
	}
	return &keys, &t
}

// deviceSubject is what a device token is bound to: the login as typed.
func deviceSubject(kind, key string) string { return kind + ":" + key }

func deviceID(t *device.Token) string {
	if t == nil {
		return ""
	}
	return t.ID
}

// trusts reports whether the device t may skip the per-login gate of cust's
// login at now.
func (s *Service) trusts(cust customer.Customer, t device.Token, now time.Time) bool {
	d := s.settings.DeviceTrust
	rec, ok := cust.Devices[t.ID]
	return ok && rec.IssuedAt.Equal(t.IssuedAt) && rec.Failures < d.MaxFailures &&
		t.IssuedAt.After(cust.RecoveredAt) && now.Before(t.IssuedAt.Add(time.Duration(d.Lifetime)))
}

// deviceCounter bounds a trusted device's failures atomically: its record
// says how many it had when read, this counter refuses (429) the failures
// past maxFailures that arrive together. A success clears it, as it starts
// the record's failures afresh.
func (s *Service) deviceCounter(t device.Token, now time.Time) throttle.Counter {
	d := s.settings.DeviceTrust
	c, _ := throttle.NewCounter(throttle.SignInDevice, settings.Limit{Max: d.MaxFailures, Window: d.Lifetime}, now, t.ID)
	return c
}

// noticeInterval is the least time between two "new sign-in" notices of a
// login.
const noticeInterval = 24 * time.Hour

// recordDevice adds to a successful attempt what it writes of the device:
// a trusted device's failures start afresh (if it has any); any other
// device gets a new token, recorded on the login's key (evicting the
// oldest past maxPerLogin). It returns the new token, if any.
func (s *Service) recordDevice(a *account.SignIn, keys *device.Keys, kind, key string, cust customer.Customer, dev *device.Token, trusted bool, now time.Time, client session.Client) (*IssuedDevice, error) {
	if keys == nil {
		return nil, nil
	}
	if trusted {
		if cust.Devices[dev.ID].Failures > 0 {
			a.Device = &account.DeviceRecord{Kind: kind, Key: key, ID: dev.ID, IssuedAt: dev.IssuedAt}
		}
		return nil, nil
	}
	plain, t, err := keys.Issue(deviceSubject(kind, key), s.random, now)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, "Could not sign in.", err)
	}
	a.Device = &account.DeviceRecord{Kind: kind, Key: key, ID: t.ID, IssuedAt: t.IssuedAt}
	// A device the login had not seen, beside ones it had: its address
	// hears of it, at most once a day (the first device is no news).
	if len(cust.Devices) > 0 && now.Sub(cust.NoticedAt) >= noticeInterval {
		id, err := customer.NewID(s.random)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, "Could not sign in.", err)
		}
		job := outbox.New(id, now, outbox.Recipient{}, NewSignInJob{CustomerID: cust.ID, At: now, UserAgent: client.UserAgent, Address: client.Address})
		a.Notice, a.Device.Noticed = &job, true
	}
	if len(cust.Devices) >= s.settings.DeviceTrust.MaxPerLogin {
		ids := make([]string, 0, len(cust.Devices))
		for id := range cust.Devices {
			ids = append(ids, id)
		}
		a.Device.Evict = slices.MinFunc(ids, func(x, y string) int {
			if c := cust.Devices[x].IssuedAt.Compare(cust.Devices[y].IssuedAt); c != 0 {
				return c
			}
			return strings.Compare(x, y)
		})
	}
	return &IssuedDevice{Token: plain, ExpiresAt: t.IssuedAt.Add(time.Duration(s.settings.DeviceTrust.Lifetime))}, nil
}
