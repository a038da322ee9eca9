package settings

import (
	"errors"
	"fmt"
	"strings"
)

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
	if msg := secretRefProblem(ref); msg != "" {
		p.bad(key, "%s", msg)
	}
}

// CheckSecretRef checks a reference to where a secret is kept that comes
// from elsewhere than the settings (an environment variable), as the
// settings check theirs; the error says what is wrong ("must …").
func CheckSecretRef(ref string) error {
	if msg := secretRefProblem(ref); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// secretRefProblem is what is wrong with a secret reference, or "".
func secretRefProblem(ref string) string {
	scheme, name := ParseSecretRef(ref)
	switch {
	case name == "" || strings.TrimSpace(name) != name:
		return fmt.Sprintf("must name where the secret key is kept: ssm:<parameter>, secretsmanager:<secret> or file:<path>; got %q", ref)
	case scheme == SecretSSM && !strings.HasPrefix(name, "/") && strings.Contains(name, "/"):
		return fmt.Sprintf("an SSM parameter in a path starts with '/', got %q", name)
	case scheme != SecretSSM && scheme != SecretSecretsManager && scheme != SecretFile:
		return fmt.Sprintf("must start with ssm:, secretsmanager: or file: (the secret itself never goes here), got %q", scheme+":…")
	}
	return ""
}
