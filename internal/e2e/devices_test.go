package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// besiege guesses the password of login from twelve loopback addresses
// (127.0.0.first…), five times each: past the per-login limit, so the
// login's gate is shut (the test clock stands still).
func (s *stack) besiege(t *testing.T, login string, first int) {
	t.Helper()
	for i := range 12 {
		attacker := s.from(t, fmt.Sprintf("127.0.0.%d", first+i))
		for range 5 {
			attacker.signIn(login, "a guess")
		}
	}
}

// deviceTokenOf is the device token a sign-in answered with.
func deviceTokenOf(t *testing.T, r response) string {
	t.Helper()
	tok, _ := r.json(t)["deviceToken"].(string)
	return tok
}

// TestOwnersGetInDuringAttacks: twelve addresses guess one login until it
// crawls (one attempt per slowdown gets through); the owner, from a device
// that signed in to it before, still gets in at once, and a device that
// never did waits like everyone else. A device that fails five times, and
// a token from before a sign-out everywhere, are trusted no more. Bad
// device tokens are ignored.
func TestOwnersGetInDuringAttacks(t *testing.T) {
	s := newStack(t, nil)
	email := "besieged@example.com"
	s.activeCustomer(email, "the owner's secret")
	owner := s.from(t, "127.0.0.3")
	first := owner.signIn(email, "the owner's secret")
	device := deviceTokenOf(t, first)
	if first.status != http.StatusOK || device == "" || first.cookie("cr_device") == nil {
		t.Fatalf("the owner's first sign-in: %d %s, cookie %v", first.status, first.body, first.cookie("cr_device"))
	}
	if c := first.cookie("cr_device"); !c.HttpOnly || !c.Secure || c.Path != "/v1/sessions" || c.MaxAge < 24*3600 {
		t.Errorf("device cookie %+v: want HttpOnly, Secure, Path=/v1/sessions, long-lived", c)
	}
	s.besiege(t, email, 20)
	if r := owner.signIn(email, "the owner's secret"); r.status != http.StatusTooManyRequests {
		t.Fatalf("the owner on a new device during the attack: %d %s, want 429 (the attack must have closed the gate)", r.status, r.body)
	}
	t.Run("the owner's device gets in at once", func(t *testing.T) {
		for range 3 {
			r := owner.signIn(email, "the owner's secret", "X-Device-Token: "+device)
			if r.status != http.StatusOK {
				t.Fatalf("the owner's device: %d %s", r.status, r.body)
			}
			if deviceTokenOf(t, r) != "" {
				t.Error("a trusted device got a new token")
			}
		}
	})
	t.Run("the device cookie works as the header does", func(t *testing.T) {
		if r := owner.signIn(email, "the owner's secret", "Cookie: cr_device="+device); r.status != http.StatusOK {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("another login's device, forged and malformed tokens are ignored", func(t *testing.T) {
		s.activeCustomer("other@example.com", "other secret")
		otherDevice := deviceTokenOf(t, owner.signIn("other@example.com", "other secret"))
		forged := device[:len(device)-2] + "AA"
		for _, bad := range []string{otherDevice, forged, "garbage", strings.Repeat("d1.", 200), "d1.nokey.AAAA.AAAA"} {
			r := owner.signIn(email, "the owner's secret", "X-Device-Token: "+bad)
			if r.status != http.StatusTooManyRequests {
				t.Errorf("token %.20q: %d %s, want the gate's 429", bad, r.status, r.body)
			}
		}
	})
	t.Run("a stolen device token does not help a wrong password, and five failures end its trust", func(t *testing.T) {
		for range 5 {
			if r := owner.signIn(email, "a guess", "X-Device-Token: "+device); r.status != http.StatusUnauthorized {
				t.Fatalf("a wrong password from the device: %d %s", r.status, r.body)
			}
		}
		if r := owner.signIn(email, "the owner's secret", "X-Device-Token: "+device); r.status != http.StatusTooManyRequests {
			t.Errorf("the device after five failures: %d %s, want the gate's 429", r.status, r.body)
		}
	})
}

// TestSignOutEverywhereEndsDeviceTrust: a token issued before a sign-out
// everywhere no longer skips the gate.
func TestSignOutEverywhereEndsDeviceTrust(t *testing.T) {
	s := newStack(t, nil)
	email := "recovering@example.com"
	tok := s.activeCustomer(email, "the owner's secret")
	owner := s.from(t, "127.0.0.3")
	device := deviceTokenOf(t, owner.signIn(email, "the owner's secret"))
	s.besiege(t, email, 40)
	if r := owner.signIn(email, "the owner's secret", "X-Device-Token: "+device); r.status != http.StatusOK {
		t.Fatalf("the device before: %d %s", r.status, r.body)
	}
	s.clock.Advance(2e9)
	if r := s.do(http.MethodDelete, "/v1/sessions", "", nil, as(tok)); r.status != http.StatusNoContent {
		t.Fatalf("sign-out everywhere: %d %s", r.status, r.body)
	}
	if r := owner.signIn(email, "the owner's secret", "X-Device-Token: "+device); r.status != http.StatusTooManyRequests {
		t.Errorf("a device token from before the sign-out everywhere: %d %s, want the gate's 429", r.status, r.body)
	}
}
