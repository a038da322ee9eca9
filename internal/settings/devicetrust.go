package settings

import (
	"strings"
	"time"
)

// DeviceTrust is OWASP's device cookie (internal/device): a successful
// sign-in gives the device a signed token, and a right password from a
// device that signed in to that login before skips signInThrottle.perLogin
// (never the per-client counters), so guessing from many addresses cannot
// keep the owner out.
type DeviceTrust struct {
	// Secret names the signing keys' document ({"current":"<id>","<id>":
	// "<key>",…}): "ssm:<parameter>", "secretsmanager:<name or ARN>" or,
	// in the local stack, "file:<path>". Empty: the deployed stack makes
	// one (Secrets Manager, generated) and the local stack writes a file;
	// with none at all, no device is trusted.
	Secret string `json:"secret,omitempty"`
	// Lifetime is how long a device token is worth anything.
	Lifetime Duration `json:"lifetime"`
	// MaxPerLogin bounds the devices a login remembers (the oldest goes).
	MaxPerLogin int `json:"maxPerLogin"`
	// MaxFailures is how many failed sign-ins from a trusted device end
	// its trust.
	MaxFailures int `json:"maxFailures"`
}

// SecretRef splits Secret into its scheme and name.
func (d DeviceTrust) SecretRef() (scheme, name string) {
	scheme, name, _ = strings.Cut(d.Secret, ":")
	return scheme, name
}

// validate checks the key ring's reference and the bounds.
func (d DeviceTrust) validate(p *problems) {
	if d.Secret != "" {
		validSecretRef(p, "deviceTrust.secret", d.Secret)
	}
	if d.Lifetime < Duration(time.Hour) || time.Duration(d.Lifetime) > 2*365*24*time.Hour {
		p.bad("deviceTrust.lifetime", "must be between 1h and 2 years, got %s", time.Duration(d.Lifetime))
	}
	if d.MaxPerLogin < 1 || d.MaxPerLogin > 50 {
		p.bad("deviceTrust.maxPerLogin", "must be between 1 and 50, got %d", d.MaxPerLogin)
	}
	if d.MaxFailures < 1 || d.MaxFailures > 100 {
		p.bad("deviceTrust.maxFailures", "must be between 1 and 100, got %d", d.MaxFailures)
	}
}
