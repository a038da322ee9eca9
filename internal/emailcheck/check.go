package emailcheck

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/throttle"
)

// Timeout bounds the DNS question of one check, unless settings
// emailChecks.timeout says otherwise.
const Timeout = 1500 * time.Millisecond

// ResolverAt is a resolver that asks the DNS server at addr ("ip:port",
// settings emailChecks.resolver) instead of the system's.
func ResolverAt(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

// Resolver answers DNS questions (*net.Resolver).
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Result is what a check says of an address.
type Result struct {
	Valid bool
	// Suggestion is the address the shopper probably meant ("" when none).
	Suggestion string
	Disposable bool
	// DomainAcceptsMail is nil when DNS did not answer in time.
	DomainAcceptsMail *bool
}

// Checker checks addresses.
type Checker struct {
	resolver Resolver
	timeout  time.Duration
	counter  Counter
	limit    settings.Limit
	now      func() time.Time
}

// Counter counts a client's checks (the store's Count); *throttle.Exceeded
// when over.
type Counter interface {
	Count(ctx context.Context, c throttle.Counter) error
}

// kindChecks is the per-client counter of checks.
const kindChecks = "client-email-checks"

// Limited counts each client's checks on counter, under limit.
func (c *Checker) Limited(counter Counter, limit settings.Limit, now func() time.Time) *Checker {
	c.counter, c.limit, c.now = counter, limit, now
	return c
}

// CheckFor is Check for a client (sourceIP): too_many_requests past the
// client's limit.
func (c *Checker) CheckFor(ctx context.Context, raw, sourceIP string) (Result, error) {
	if c.counter != nil {
		if cc := throttle.ClientCap(kindChecks, c.limit, c.now(), sourceIP); cc != nil {
			if err := c.counter.Count(ctx, *cc); err != nil {
				return Result{}, throttle.Refusal(err)
			}
		}
	}
	return c.Check(ctx, raw), nil
}

// New returns a Checker asking resolver (nil: no DNS question; every
// domain's mail is unknown), each check's DNS bounded by timeout (0:
// Timeout).
func New(resolver Resolver, timeout time.Duration) *Checker {
	if timeout <= 0 {
		timeout = Timeout
	}
	return &Checker{resolver: resolver, timeout: timeout}
}

// Check checks an address. An invalid one gets no DNS question.
func (c *Checker) Check(ctx context.Context, raw string) Result {
	email := customer.CanonicalEmail(raw)
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return Result{}
	}
	local, domain := email[:at], strings.ToLower(email[at+1:])
	r := Result{Disposable: Disposable(domain)}
	if s := Suggest(domain); s != "" {
		r.Suggestion = local + "@" + s
	}
	if code, _ := customer.EmailProblem(email); code != "" {
		return r
	}
	r.Valid = true
	if c.resolver != nil {
		r.DomainAcceptsMail = c.acceptsMail(ctx, domain)
	}
	return r
}

// acceptsMail asks DNS whether domain takes mail: its MX records (a null MX
// takes none), else its address records; nil when DNS does not answer.
func (c *Checker) acceptsMail(ctx context.Context, domain string) *bool {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	yes, no := true, false
	mx, err := c.resolver.LookupMX(ctx, domain)
	switch {
	case err == nil && len(mx) == 1 && (mx[0].Host == "." || mx[0].Host == ""):
		return &no // RFC 7505: this domain accepts no mail
	case err == nil && len(mx) > 0:
		return &yes
	case err != nil && !notFound(err):
		return nil // timeout, SERVFAIL: unknown, never "no"
	}
	// No MX records (or no such domain): the implicit MX is the domain's
	// own address.
	ips, err := c.resolver.LookupIPAddr(ctx, domain)
	switch {
	case err == nil && len(ips) > 0:
		return &yes
	case err == nil, notFound(err):
		return &no
	}
	return nil
}

// notFound: the domain does not exist, or has no records of the type
// asked (Go's resolver tells the two apart no further).
func notFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// Refusal is the store's refusal of a valid address under its email checks
// (settings emailChecks), naming field, or nil: disposable_email for a
// disposable-mail provider when those are refused, email_domain_unreachable
// when mail records are required and DNS says the domain has none. DNS is
// asked only when required, and an unanswered question never refuses. A nil
// Checker refuses nothing.
func (c *Checker) Refusal(ctx context.Context, field, email string, p settings.EmailChecks) error {
	at := strings.LastIndexByte(email, '@')
	if c == nil || at < 0 {
		return nil
	}
	domain := strings.ToLower(email[at+1:])
	if p.RefuseDisposable() && Disposable(domain) {
		return refusal(apperr.DisposableEmail, field, "This store does not accept addresses at disposable-mail providers.")
	}
	if p.RequireMX && c.resolver != nil {
		if accepts := c.acceptsMail(ctx, domain); accepts != nil && !*accepts {
			return refusal(apperr.EmailDomainUnreachable, field, "This address's domain does not accept mail.")
		}
	}
	return nil
}

func refusal(code apperr.Code, field, message string) error {
	return &apperr.Error{Code: code, Message: message, Fields: []apperr.FieldError{{Field: field, Code: string(code), Message: message}}}
}
