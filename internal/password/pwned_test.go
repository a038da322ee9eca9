package password_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openreg/registration/internal/password"
)

// pwnedAPI answers like api.pwnedpasswords.com/range/{prefix}: upper-case
// hex suffixes with counts, CRLF, padded with zero-count suffixes when
// asked; it knows the passwords in breached, and records the prefixes it
// was asked for.
type pwnedAPI struct {
	breached map[string]int
	asked    []string
	status   int
	delay    time.Duration
	calls    atomic.Int32
}

func (a *pwnedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.calls.Add(1)
	prefix := strings.TrimPrefix(r.URL.Path, "/range/")
	a.asked = append(a.asked, prefix)
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.status != 0 {
		w.WriteHeader(a.status)
		return
	}
	var b strings.Builder
	for pw, n := range a.breached {
		h := sha1hex(pw)
		if h[:5] == prefix {
			fmt.Fprintf(&b, "%s:%d\r\n", h[5:], n)
		}
	}
	if r.Header.Get("Add-Padding") == "true" {
		// Padding: a zero-count entry for the asked password's own
		// suffix must not count as a breach.
		fmt.Fprintf(&b, "%s:0\r\n", sha1hex("padded but never breached")[5:])
		fmt.Fprintf(&b, "%s:0\r\n", strings.Repeat("A", 35))
	}
	fmt.Fprint(w, b.String())
}

func sha1hex(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func TestRange(t *testing.T) {
	api := &pwnedAPI{breached: map[string]int{"Tr0ub4dor&3": 128, "padded but never breached": 0}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	r := password.NewRange(srv.URL+"/range/", srv.Client(), slog.New(slog.DiscardHandler))
	ctx := context.Background()
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"a password the API lists with a count is breached", "Tr0ub4dor&3", true},
		{"a password the API lists only as padding is not", "padded but never breached", false},
		{"a password the API does not list is not", "correct horse battery staple 7", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Breached(ctx, tt.pw); got != tt.want {
				t.Errorf("Breached(%q) = %v, want %v", tt.pw, got, tt.want)
			}
			if last := api.asked[len(api.asked)-1]; last != sha1hex(tt.pw)[:5] {
				t.Errorf("asked for %q, want only the first five characters of the SHA-1 (%q)", last, sha1hex(tt.pw)[:5])
			}
		})
	}
	outages := []struct {
		name string
		api  *pwnedAPI
	}{
		{"an API that fails refuses nothing", &pwnedAPI{breached: api.breached, status: http.StatusServiceUnavailable}},
		{"an API slower than the timeout refuses nothing, within the timeout", &pwnedAPI{breached: api.breached, delay: 10 * time.Second}},
	}
	for _, tt := range outages {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.api)
			defer srv.Close()
			r := password.NewRange(srv.URL+"/range/", srv.Client(), slog.New(slog.DiscardHandler))
			start := time.Now()
			if r.Breached(ctx, "Tr0ub4dor&3") {
				t.Error("got breached, want the outage to refuse nothing")
			}
			if waited := time.Since(start); waited > password.RangeTimeout+time.Second {
				t.Errorf("waited %v, want at most the timeout (%v)", waited, password.RangeTimeout)
			}
			if tt.api.calls.Load() != 1 {
				t.Errorf("%d calls, want 1", tt.api.calls.Load())
			}
		})
	}
}

func TestScreen(t *testing.T) {
	api := &pwnedAPI{breached: map[string]int{"Tr0ub4dor&3": 128}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	r := password.NewRange(srv.URL+"/range/", srv.Client(), slog.New(slog.DiscardHandler))
	offline, online := password.DefaultPolicy(), password.DefaultPolicy()
	online.BreachedCheck = password.BreachedRange
	tests := []struct {
		name      string
		policy    password.Policy
		pw        string
		want      []string
		wantCalls int32
	}{
		{"offline, a password only the API knows passes", offline, "Tr0ub4dor&3", []string{}, 0},
		{"with range, a password the API knows is password_breached", online, "Tr0ub4dor&3", []string{"password_breached"}, 1},
		{"with range, a password the bundled list refuses is not sent", online, "iloveyou", []string{"password_breached"}, 0},
		{"with range, a password the policy refuses is not sent", online, "x", []string{"too_short"}, 0},
		{"with range, a password nobody knows passes", online, "correct horse battery staple 7", []string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api.calls.Store(0)
			got := codes(t, tt.policy.Screen(context.Background(), r, tt.pw))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || api.calls.Load() != tt.wantCalls {
				t.Errorf("Screen(%q) = %v with %d calls, want %v with %d", tt.pw, got, api.calls.Load(), tt.want, tt.wantCalls)
			}
		})
	}
}
