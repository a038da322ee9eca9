package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/testenv"
)

// TestServerStorefront: a server-rendered shop calls from one address for
// all its shoppers. With its key each shopper is a client of their own
// (the per-client limits count the shopper's address, activity records it),
// the key's own ceiling caps them together, a wrong key or address is
// refused before anything is stored, and X-Shopper-Address without a key
// changes nothing.
func TestServerStorefront(t *testing.T) {
	const key = "ssr-key-0123456789abcdef"
	param := putSecureParameter(t, testenv.Clients(t), "ssr", key)
	hour := settings.Duration(time.Hour)
	keys := func(s *settings.Settings) {
		s.ServerKeys = []settings.ServerKey{{ID: "ssr", Secret: "ssm:" + param, Ceiling: settings.Limit{Max: 4, Window: hour}}}
		s.ClientLimits.Register = settings.Limit{Max: 1, Window: hour}
	}
	// The functions may read the key: the grant of a template synthesized
	// with these settings.
	tpl := templateWith(t, func(s *settings.Settings) {
		s.ServerKeys = []settings.ServerKey{{ID: "ssr", Secret: "ssm:" + param, Ceiling: settings.Limit{Max: 4, Window: hour}}}
	})
	s := newStackOn(t, keys, tpl, nil, true)
	asServer := func(shopper string) []string {
		return []string{"X-Storefront-Key: " + key, "X-Shopper-Address: " + shopper}
	}

	t.Run("each shopper has a budget of their own", func(t *testing.T) {
		if r := s.register(person("ssr-a1@example.com"), asServer("198.51.100.1")...); r.status != http.StatusAccepted {
			t.Fatalf("shopper A: %d %s", r.status, r.body)
		}
		if r := s.register(person("ssr-a2@example.com"), asServer("198.51.100.1")...); r.status != http.StatusTooManyRequests {
			t.Errorf("shopper A again: %d %s, want 429 (one registration an hour per client)", r.status, r.body)
		}
		if r := s.register(person("ssr-b1@example.com"), asServer("::ffff:198.51.100.2")...); r.status != http.StatusAccepted {
			t.Errorf("shopper B, same server: %d %s, want 202", r.status, r.body)
		}
	})

	t.Run("the activity log records the shopper's address", func(t *testing.T) {
		tok := s.verificationToken("ssr-a1@example.com")
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}, asServer("198.51.100.1")...); r.status != http.StatusOK {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		c, _ := s.customerByEmail("ssr-a1@example.com")
		if log := string(s.admin(http.MethodGet, "/v1/admin/customers/"+c.ID+"/activity?limit=50", nil).body); !strings.Contains(log, "198.51.100.1") || strings.Contains(log, "127.0.0.1") {
			t.Errorf("activity = %s, want the shopper's address and not the server's", log)
		}
	})

	t.Run("the key's ceiling caps its shoppers together", func(t *testing.T) {
		// Three counted so far (A, A again, B); the fourth is the last.
		if r := s.register(person("ssr-c1@example.com"), asServer("198.51.100.3")...); r.status != http.StatusAccepted {
			t.Fatalf("shopper C: %d %s", r.status, r.body)
		}
		r := s.register(person("ssr-d1@example.com"), asServer("198.51.100.4")...)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Errorf("past the ceiling: %d %s, want 429 with Retry-After", r.status, r.body)
		}
		if _, stored := s.customerByEmail("ssr-d1@example.com"); stored {
			t.Error("a registration past the ceiling was stored")
		}
	})

	refused := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"a wrong key", []string{"X-Storefront-Key: " + key + "x", "X-Shopper-Address: 198.51.100.9"}, http.StatusUnauthorized, "invalid_storefront_key"},
		{"a right key with no shopper address", []string{"X-Storefront-Key: " + key}, http.StatusBadRequest, "invalid_shopper_address"},
		{"a right key with a host name for an address", asServer("shop.example"), http.StatusBadRequest, "invalid_shopper_address"},
	}
	for _, tt := range refused {
		t.Run(tt.name+" is refused and stores nothing", func(t *testing.T) {
			before := s.items()
			r := s.register(person("ssr-refused@example.com"), tt.headers...)
			if r.status != tt.status || r.code(t) != tt.code {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
			if after := s.items(); after != before {
				t.Errorf("items %d → %d", before, after)
			}
		})
	}

	t.Run("a shopper address without a key is ignored", func(t *testing.T) {
		plain := newStack(t, keys)
		if r := plain.register(person("ssr-x1@example.com"), "X-Shopper-Address: 203.0.113.1"); r.status != http.StatusAccepted {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		if r := plain.register(person("ssr-x2@example.com"), "X-Shopper-Address: 203.0.113.2"); r.status != http.StatusTooManyRequests {
			t.Errorf("second from the same client, claiming another address: %d %s, want 429", r.status, r.body)
		}
	})

	t.Run("a key that cannot be read is 503, never an open door", func(t *testing.T) {
		broken := newStackOn(t, func(st *settings.Settings) {
			keys(st)
			st.ServerKeys[0].Secret = "ssm:/no/such/parameter"
		}, tpl, nil, true)
		r := broken.register(person("ssr-y@example.com"), asServer("198.51.100.7")...)
		if r.status != http.StatusServiceUnavailable || r.code(t) != "service_unavailable" {
			t.Errorf("%d %s, want 503", r.status, r.body)
		}
	})
}
