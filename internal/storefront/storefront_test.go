package storefront

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openreg/registration/internal/settings"
)

func TestKeys(t *testing.T) {
	const one, two = "k1-0123456789abcdef", "k2-fedcba9876543210"
	kept := map[string]string{"ssm:/one": one + "\n", "ssm:/two": two}
	reads := 0
	failing := true
	read := func(ref string) Secret {
		return func(context.Context) (string, error) {
			reads++
			if ref == "ssm:/broken" && failing {
				return "", errors.New("AccessDeniedException")
			}
			if ref == "ssm:/broken" {
				return "k3-0123456789abcdef", nil
			}
			return kept[ref], nil
		}
	}
	limit := settings.Limit{Max: 100, Window: settings.Duration(3600e9)}
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	keys := New([]settings.ServerKey{{ID: "one", Secret: "ssm:/one", Ceiling: limit}, {ID: "two", Secret: "ssm:/two", Ceiling: limit}}, read, now)
	tests := []struct {
		name, presented, want string
	}{
		{"the first live key is recognised (its stored newline aside)", one, "one"},
		{"the second live key is recognised", two, "two"},
		{"a wrong key is none of them", "k1-0123456789abcdeX", ""},
		{"a key's prefix is none of them", one[:10], ""},
		{"an empty key is none of them", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, ok, err := keys.Identify(context.Background(), tt.presented)
			if err != nil {
				t.Fatal(err)
			}
			if got := map[bool]string{true: k.ID}[ok]; got != tt.want {
				t.Errorf("key = %q, want %q", got, tt.want)
			}
		})
	}
	if reads != 2 {
		t.Errorf("the keys were read %d times, want once each", reads)
	}
	t.Run("an unreadable key is an error, and is read again next time", func(t *testing.T) {
		broken := New([]settings.ServerKey{{ID: "b", Secret: "ssm:/broken", Ceiling: limit}}, read, now)
		if _, ok, err := broken.Identify(context.Background(), "anything-at-all-here"); err == nil || ok {
			t.Fatalf("got ok=%v err=%v, want an error", ok, err)
		}
		failing = false
		if _, ok, err := broken.Identify(context.Background(), "k3-0123456789abcdef"); err != nil || !ok {
			t.Errorf("after the secret came back: ok=%v err=%v", ok, err)
		}
	})
	t.Run("a rotated key is read again after the refresh, and a failed re-read keeps the keys read before", func(t *testing.T) {
		kept["ssm:/rot"] = "rot-old-0123456789abcdef"
		rot := New([]settings.ServerKey{{ID: "r", Secret: "ssm:/rot", Ceiling: limit}}, read, now)
		if _, ok, _ := rot.Identify(context.Background(), "rot-old-0123456789abcdef"); !ok {
			t.Fatal("the old key before the rotation")
		}
		kept["ssm:/rot"] = "rot-new-0123456789abcdef"
		if _, ok, _ := rot.Identify(context.Background(), "rot-new-0123456789abcdef"); ok {
			t.Error("the new key counted before the refresh")
		}
		clock = clock.Add(Refresh)
		if _, ok, _ := rot.Identify(context.Background(), "rot-old-0123456789abcdef"); ok {
			t.Error("the old key still counts after the refresh")
		}
		if _, ok, _ := rot.Identify(context.Background(), "rot-new-0123456789abcdef"); !ok {
			t.Error("the new key does not count after the refresh")
		}
	})
	t.Run("a key too short to be secret is refused as a configuration error", func(t *testing.T) {
		kept["ssm:/short"] = "short"
		short := New([]settings.ServerKey{{ID: "s", Secret: "ssm:/short", Ceiling: limit}}, read, now)
		if _, _, err := short.Identify(context.Background(), "short"); err == nil {
			t.Error("a 5-character key was accepted")
		}
	})
	t.Run("no keys configured is nil", func(t *testing.T) {
		if New(nil, read, now) != nil {
			t.Error("keys without settings")
		}
	})
}

func TestShopperAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{" 192.0.2.1 ", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"", ""},
		{"192.0.2.1:443", ""},
		{"fe80::1%eth0", ""},
		{"0.0.0.0", ""},
		{"shop.example", ""},
		{"192.0.2.1, 198.51.100.2", ""},
	}
	for _, tt := range tests {
		t.Run("the address "+tt.in, func(t *testing.T) {
			got, err := ShopperAddress(tt.in)
			if (err != nil) != (tt.want == "") || got != tt.want {
				t.Errorf("ShopperAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
