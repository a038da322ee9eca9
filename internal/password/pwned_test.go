package password_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/password/pwnedtest"
)

func TestRange(t *testing.T) {
	// "padded" is listed only with a zero count, as padding is.
	known := map[string]int{"Tr0ub4dor&3": 128, "padded but never breached": 0}
	ctx := context.Background()
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"a password the API lists with a count is breached", "Tr0ub4dor&3", true},
		{"a password the API lists with a zero count (padding) is not", "padded but never breached", false},
		{"a password the API does not list is not", "correct horse battery staple 7", false},
	}
	api := pwnedtest.Start(known)
	defer api.Close()
	r := password.NewRange(api.RangeURL(), api.Client(), slog.New(slog.DiscardHandler))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Breached(ctx, tt.pw); got != tt.want {
				t.Errorf("Breached(%q) = %v, want %v", tt.pw, got, tt.want)
			}
			asked := api.Asked()
			if last := asked[len(asked)-1]; last != pwnedtest.SHA1(tt.pw)[:5] {
				t.Errorf("asked for %q, want only the first five characters of the SHA-1 (%q)", last, pwnedtest.SHA1(tt.pw)[:5])
			}
		})
	}
	outages := []struct {
		name   string
		outage func(*pwnedtest.API)
	}{
		{"an API that fails refuses nothing", func(a *pwnedtest.API) { a.Fail(http.StatusServiceUnavailable) }},
		{"an API slower than the timeout refuses nothing, within the timeout", func(a *pwnedtest.API) { a.Delay(10 * time.Second) }},
	}
	for _, tt := range outages {
		t.Run(tt.name, func(t *testing.T) {
			api := pwnedtest.Start(known)
			defer api.Close()
			tt.outage(api)
			r := password.NewRange(api.RangeURL(), api.Client(), slog.New(slog.DiscardHandler))
			start := time.Now()
			if r.Breached(ctx, "Tr0ub4dor&3") {
				t.Error("got breached, want the outage to refuse nothing")
			}
			if waited := time.Since(start); waited > password.RangeTimeout+time.Second {
				t.Errorf("waited %v, want at most the timeout (%v)", waited, password.RangeTimeout)
			}
			if n := len(api.Asked()); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
		})
	}
}

func TestScreen(t *testing.T) {
	api := pwnedtest.Start(map[string]int{"Tr0ub4dor&3": 128})
	defer api.Close()
	offline, online := password.DefaultPolicy(), password.DefaultPolicy()
	online.BreachedCheck, online.BreachedRangeURL = password.BreachedRange, api.RangeURL()
	tests := []struct {
		name      string
		policy    password.Policy
		pw        string
		want      []string
		wantCalls int
	}{
		{"offline, a password only the API knows passes", offline, "Tr0ub4dor&3", []string{}, 0},
		{"with range, a password the API knows is password_breached", online, "Tr0ub4dor&3", []string{"password_breached"}, 1},
		{"with range, a password the bundled list refuses is not sent", online, "iloveyou", []string{"password_breached"}, 0},
		{"with range, a password the policy refuses is not sent", online, "x", []string{"too_short"}, 0},
		{"with range, a password nobody knows passes", online, "correct horse battery staple 7", []string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(api.Asked())
			r := password.RangeFor(tt.policy, api.Client(), slog.New(slog.DiscardHandler))
			got := codes(t, tt.policy.With(r).Check(context.Background(), tt.pw))
			calls := len(api.Asked()) - before
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || calls != tt.wantCalls {
				t.Errorf("Check(%q) = %v with %d calls, want %v with %d", tt.pw, got, calls, tt.want, tt.wantCalls)
			}
		})
	}
}
