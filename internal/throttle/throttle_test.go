package throttle_test

import (
	"testing"
	"time"

	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
)

func TestClientOf(t *testing.T) {
	tests := []struct {
		name, ip, want string
	}{
		{"an IPv4 client is its address", "192.0.2.1", "192.0.2.1"},
		{"an IPv4-mapped IPv6 address is the IPv4 client", "::ffff:192.0.2.1", "192.0.2.1"},
		{"an IPv6 client is its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"another address of the same /64 is the same client", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"the next /64 is another client", "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"a zone does not make another client", "fe80::1%eth0", "fe80::/64"},
		{"upper case and zeros are read, not compared as text", "2001:DB8:0001:0002::7", "2001:db8:1:2::/64"},
		{"text that is no address is its own subject", "not-an-ip", "not-an-ip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := throttle.ClientOf(tt.ip); got != tt.want {
				t.Errorf("ClientOf(%q) = %q, want %q", tt.ip, got, tt.want)
			}
		})
	}
}

func TestAddressesOfOneSlash64ShareACounter(t *testing.T) {
	l := settings.Limit{Max: 5, Window: settings.Duration(time.Hour)}
	now := time.Unix(1_800_000_000, 0)
	a, _ := throttle.NewCounter(throttle.ClientRegister, l, now, throttle.ClientOf("2001:db8::1"))
	b, _ := throttle.NewCounter(throttle.ClientRegister, l, now, throttle.ClientOf("2001:db8::2"))
	c, _ := throttle.NewCounter(throttle.ClientRegister, l, now, throttle.ClientOf("2001:db8:0:1::1"))
	if a.Key != b.Key || a.Key == c.Key {
		t.Errorf("keys %s %s %s: want the first two equal and the third apart", a.Key, b.Key, c.Key)
	}
}

func TestClientCap(t *testing.T) {
	l := settings.Limit{Max: 5, Window: settings.Duration(time.Hour)}
	now := time.Unix(1_800_000_000, 0)
	c := throttle.ClientCap(throttle.ClientResend, l, now, "2001:db8::1")
	want, _ := throttle.NewCounter(throttle.ClientResend, l, now, throttle.ClientOf("2001:db8::2"))
	if c == nil || *c != want {
		t.Errorf("ClientCap = %+v, want the counter of the client's /64 %+v", c, want)
	}
	if c := throttle.ClientCap(throttle.ClientResend, settings.Limit{}, now, "192.0.2.1"); c != nil {
		t.Errorf("a cap that is off counts: %+v", c)
	}
	if c := throttle.ClientCap(throttle.ClientResend, l, now, ""); c != nil {
		t.Errorf("a request without a client address counts: %+v", c)
	}
}
