package settings

import "strings"

// Secret reference schemes.
const (
	SecretSSM            = "ssm"
	SecretSecretsManager = "secretsmanager"
	SecretFile           = "file"
)

// ParseSecretRef splits a reference to where a secret is kept
// ("ssm:/shop/captcha") into its scheme (SecretSSM, SecretSecretsManager or
// SecretFile) and the name in it.
func ParseSecretRef(ref string) (scheme, name string) {
	scheme, name, _ = strings.Cut(ref, ":")
	return scheme, name
}

// validSecretRef checks a reference to where a secret is kept.
func validSecretRef(p *problems, key, ref string) {
	scheme, name := ParseSecretRef(ref)
	switch {
	case name == "" || strings.TrimSpace(name) != name:
		p.bad(key, "must name where the secret key is kept: ssm:<parameter>, secretsmanager:<secret> or file:<path>; got %q", ref)
	case scheme == SecretSSM && !strings.HasPrefix(name, "/") && strings.Contains(name, "/"):
		p.bad(key, "an SSM parameter in a path starts with '/', got %q", name)
	case scheme != SecretSSM && scheme != SecretSecretsManager && scheme != SecretFile:
		p.bad(key, "must start with ssm:, secretsmanager: or file: (the secret itself never goes here), got %q", scheme+":…")
	}
}
