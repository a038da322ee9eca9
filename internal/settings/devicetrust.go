package settings

import (
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
func (d DeviceTrust) SecretRef() (scheme, name string) { return ParseSecretRef(d.Secret) }

// validate checks the key ring's reference and the bounds.
func (d DeviceTrust) validate(p *problems) {
	if d.Secret != "" {
		validSecretRef(p, "deviceTrust.secret", d.Secret)
	}
	p.durationIn("deviceTrust.lifetime", d.Lifetime, time.Hour, 2*365*24*time.Hour, "")
	p.intIn("deviceTrust.maxPerLogin", d.MaxPerLogin, 1, 50)
	p.intIn("deviceTrust.maxFailures", d.MaxFailures, 1, 100)
}
