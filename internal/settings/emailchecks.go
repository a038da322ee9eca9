package settings

import (
	"net"
	"strconv"
	"time"
)

// EmailChecks are the refusals registration and an address change apply
// to an address, beyond its syntax. Both are off by default: the email
// check route (POST /v1/email-checks) warns the shopper either way.
type EmailChecks struct {
	// Disposable is "allow" (the default) or "refuse": refuse addresses
	// at the disposable-mail providers of the bundled list (400
	// disposable_email).
	Disposable string `json:"disposable"`
	// RequireMX refuses an address whose domain answers DNS without mail
	// records, MX or A (400 email_domain_unreachable). A DNS failure or
	// timeout never refuses.
	RequireMX bool `json:"requireMx"`
	// Resolver is the DNS server the checks ask ("ip:port"); empty: the
	// function's own (in Lambda, the VPC's or AWS's).
	Resolver string `json:"resolver"`
	// Timeout bounds one check's DNS questions.
	Timeout Duration `json:"timeout"`
}

// The values of EmailChecks.Disposable.
const (
	DisposableAllow  = "allow"
	DisposableRefuse = "refuse"
)

// RefuseDisposable reports whether disposable addresses are refused.
func (e EmailChecks) RefuseDisposable() bool { return e.Disposable == DisposableRefuse }

func (e EmailChecks) validate(p *problems) {
	if e.Disposable != DisposableAllow && e.Disposable != DisposableRefuse {
		p.bad("emailChecks.disposable", "must be %q or %q, got %q", DisposableAllow, DisposableRefuse, e.Disposable)
	}
	if e.Resolver != "" {
		host, port, err := net.SplitHostPort(e.Resolver)
		if n, perr := strconv.Atoi(port); err != nil || net.ParseIP(host) == nil || perr != nil || n < 1 || n > 65535 {
			p.bad("emailChecks.resolver", "must be an IP address and port (\"10.0.0.2:53\", \"[2606:4700:4700::1111]:53\"), got %q", e.Resolver)
		}
	}
	p.durationIn("emailChecks.timeout", e.Timeout, 100*time.Millisecond, 5*time.Second, "")
}
