package throttle

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/token"
)

// Kinds of counters. The sign-in kinds count failures; the client kinds
// count requests.
const (
	SignInLoginClient = "signin-pair"   // one login from one client
	SignInClient      = "signin-client" // one client across logins
	SignInLogin       = "signin-login"  // one login across clients
	// SignInDevice counts the failures of a trusted device (signin's
	// devices): in the attempt's own write, so concurrent guesses from a
	// stolen device token cannot pass its limit.
	SignInDevice        = "signin-device"
	ClientRegister      = "client-register"
	ClientSignIn        = "client-signin"
	ClientResend        = "client-resend"
	ClientPasswordReset = "client-password-reset"
	ClientGuests        = "client-guests"
	// StorefrontCeiling counts what one server storefront key's shoppers
	// do together (settings serverKeys[].ceiling).
	StorefrontCeiling = "storefront-ceiling"
)

// Counter is one limit's counter for the current window.
type Counter struct {
	Kind string
	// Key identifies the counter and its window; subjects are hashed, so
	// no address or login is stored in it.
	Key string
	Max int
	// Ends is when the window ends: a refused client may retry then, and
	// the counter may be forgotten after.
	Ends time.Time
	// Gate, when positive, lets one event through per Gate past Max
	// instead of refusing all: a slowdown, not a lock.
	Gate time.Duration
	// Now is the time of the event.
	Now time.Time
}

// NewCounter returns the counter of limit l for an event at now about the
// given subjects (a login, a client address), or false when l is off.
func NewCounter(kind string, l settings.Limit, now time.Time, subjects ...string) (Counter, bool) {
	if !l.On() {
		return Counter{}, false
	}
	window := time.Duration(l.Window)
	start := now.Truncate(window)
	key := kind + "#" + token.Digest(strings.Join(subjects, "\x00"))[:32] + "#" + fmt.Sprint(start.Unix())
	return Counter{Kind: kind, Key: key, Max: l.Max, Ends: start.Add(window), Now: now}, true
}

// ClientCap is the counter of the per-client cap l (of kind) on a request
// at now from the client address sourceIP (counted as ClientOf), or nil
// when the cap is off or the request names no client address.
func ClientCap(kind string, l settings.Limit, now time.Time, sourceIP string) *Counter {
	c, on := NewCounter(kind, l, now, ClientOf(sourceIP))
	if !on || sourceIP == "" {
		return nil
	}
	return &c
}

// Refusal turns a store's *Exceeded into the client's 429 (with when to
// retry) and passes any other error on.
func Refusal(err error) error {
	var ex *Exceeded
	if errors.As(err, &ex) {
		return &apperr.Error{Code: apperr.TooManyRequests, Message: "Too many requests; try again later.", RetryAfter: ex.RetryAfter()}
	}
	return err
}

// ClientOf is the subject a client address is counted as on every
// per-client counter: an IPv4 client is its address, and so is an
// IPv4-mapped IPv6 address (::ffff:192.0.2.1 is 192.0.2.1); an IPv6 client
// is its /64, the block one subscriber line or host is given, so the 2^64
// addresses of one attacker count as one client. Text that is not an
// address (none reaches here from API Gateway) is its own subject.
func ClientOf(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// Exceeded is the error a store returns when a counter refused an event.
type Exceeded struct {
	Counter Counter
	// GateOpens is, for a gated counter, when the next event may pass.
	GateOpens time.Time
}

func (e *Exceeded) Error() string {
	return fmt.Sprintf("throttle: %s over its limit of %d", e.Counter.Kind, e.Counter.Max)
}

// RetryAfter is how long the refused client should wait, at least a second.
func (e *Exceeded) RetryAfter() time.Duration {
	until := e.Counter.Ends
	if e.Counter.Gate > 0 && !e.GateOpens.IsZero() && e.GateOpens.Before(until) {
		until = e.GateOpens
	}
	return max(until.Sub(e.Counter.Now).Round(time.Second), time.Second)
}

// Allows reports whether c may count one more event on a counter that holds
// n events and whose gate (zero if none) opens at gate: under Max, or, for a
// gated counter past Max, once the gate is open. Every store applies this
// rule (the DynamoDB store as a condition expression), and the store
// contract suite checks they agree.
func (c Counter) Allows(n int, gate time.Time) bool {
	return n < c.Max || (c.Gate > 0 && !gate.After(c.Now))
}

// NextGate is when a gated counter's gate opens after an event counted at
// c.Now (zero for a counter without a gate).
func (c Counter) NextGate() time.Time {
	if c.Gate <= 0 {
		return time.Time{}
	}
	return c.Now.Add(c.Gate)
}
