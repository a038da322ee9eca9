package settings

import "time"

// Limit is at most Max events per Window; Max 0 turns the limit off.
type Limit struct {
	Max    int      `json:"max"`
	Window Duration `json:"window"`
}

// On reports whether the limit applies.
func (l Limit) On() bool { return l.Max > 0 }

func (l Limit) validate(key string, bad func(key, format string, a ...any)) {
	if l.Max < 0 {
		bad(key+".max", "must not be negative")
	}
	if l.Max > 0 && (l.Window < Duration(time.Second) || time.Duration(l.Window) > 24*time.Hour) {
		bad(key+".window", "must be between 1s and 24h when max is set, got %s", time.Duration(l.Window))
	}
}

// SignInThrottle limits failed sign-ins so that a guessing client is stopped
// while the account's owner, from another address, still signs in. A login
// is counted by the account it names once that is found (so its email
// address and username share one budget), else by the login text.
type SignInThrottle struct {
	// PerLoginAndClient counts failures of one login from one client
	// address; past Max that client is refused for that login until the
	// window ends (429 locked_out). The owner elsewhere is unaffected.
	PerLoginAndClient Limit `json:"perLoginAndClient"`
	// PerClient counts failures from one client address across all logins
	// (password spraying); past Max the client is refused (429
	// too_many_requests) until the window ends.
	PerClient Limit `json:"perClient"`
	// PerLogin counts failures of one login from all clients. Past Max the
	// login is not locked: attempts on it are let through at most one per
	// Slowdown, so a distributed attack crawls and the owner waits seconds.
	PerLogin Limit    `json:"perLogin"`
	Slowdown Duration `json:"slowdown"`
}

// ClientLimits cap the requests one client address makes to the routes that
// can be abused without an account (429 too_many_requests with Retry-After).
// A storefront that calls from its own servers is one client: raise them or
// set max 0 there.
type ClientLimits struct {
	Register Limit `json:"register"`
	SignIn   Limit `json:"signIn"`
	Resend   Limit `json:"resend"`
	// PasswordReset caps POST /v1/password-resets.
	PasswordReset Limit `json:"passwordReset"`
	// Guests caps the guests one client creates.
	Guests Limit `json:"guests"`
}

// validate checks the three sign-in limits and the slowdown.
func (t SignInThrottle) validate(p *problems) {
	t.PerLoginAndClient.validate("signInThrottle.perLoginAndClient", p.bad)
	t.PerClient.validate("signInThrottle.perClient", p.bad)
	t.PerLogin.validate("signInThrottle.perLogin", p.bad)
	if t.PerLogin.On() && (t.Slowdown < Duration(time.Second) || time.Duration(t.Slowdown) > time.Minute) {
		p.bad("signInThrottle.slowdown", "must be between 1s and 1m when perLogin is set, got %s", time.Duration(t.Slowdown))
	}
}

// validate checks each per-client limit.
func (c ClientLimits) validate(p *problems) {
	c.Register.validate("clientLimits.register", p.bad)
	c.SignIn.validate("clientLimits.signIn", p.bad)
	c.Resend.validate("clientLimits.resend", p.bad)
	c.PasswordReset.validate("clientLimits.passwordReset", p.bad)
	c.Guests.validate("clientLimits.guests", p.bad)
}
