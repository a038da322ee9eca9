package settings

import "time"

// Limit is at most Max events per Window; Max 0 turns the limit off.
type Limit struct {
	Max    int      `json:"max"`
	Window Duration `json:"window"`
}

// On reports whether the limit applies.
func (l Limit) On() bool { return l.Max > 0 }

// validate checks the limit at key: a window is needed only when max is
// set.
func (l Limit) validate(p *problems, key string) {
	if l.Max < 0 {
		p.bad(key+".max", "must not be negative")
	}
	if l.Max > 0 {
		p.durationIn(key+".window", l.Window, time.Second, 24*time.Hour, "when max is set")
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
	// Codes caps the 6-digit codes one client submits (verification,
	// reset, sign-in), right or wrong.
	Codes Limit `json:"codes"`
	// EmailChecks caps POST /v1/email-checks (a storefront asks while the
	// shopper types).
	EmailChecks Limit `json:"emailChecks"`
}

// SignIn are the ways in besides a password.
type SignIn struct {
	// EmailCodes: POST /v1/sign-in-codes mails an active account a 6-digit
	// code that signs in like a password (on by default).
	EmailCodes bool `json:"emailCodes"`
}

// Codes bounds the 6-digit codes a whole store takes: past PerStore an
// hour, every code submission is refused (429) and an alarm fires, so a
// guessing campaign across many addresses and clients stops.
type Codes struct {
	PerStore Limit `json:"perStore"`
}

// validate checks the three sign-in limits and the slowdown.
func (t SignInThrottle) validate(p *problems) {
	t.PerLoginAndClient.validate(p, "signInThrottle.perLoginAndClient")
	t.PerClient.validate(p, "signInThrottle.perClient")
	t.PerLogin.validate(p, "signInThrottle.perLogin")
	if t.PerLogin.On() {
		p.durationIn("signInThrottle.slowdown", t.Slowdown, time.Second, time.Minute, "when perLogin is set")
	}
}

// validate checks each per-client limit.
func (c ClientLimits) validate(p *problems) {
	c.Register.validate(p, "clientLimits.register")
	c.SignIn.validate(p, "clientLimits.signIn")
	c.Resend.validate(p, "clientLimits.resend")
	c.PasswordReset.validate(p, "clientLimits.passwordReset")
	c.Guests.validate(p, "clientLimits.guests")
	c.Codes.validate(p, "clientLimits.codes")
	c.EmailChecks.validate(p, "clientLimits.emailChecks")
}
