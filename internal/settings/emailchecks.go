package settings

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
}
