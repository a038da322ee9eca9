package captcha

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/openreg/registration/internal/settings"
)

// The places a secret key is kept: Parameter Store and Secrets Manager when
// deployed (the functions' roles may read exactly the one named), a file in
// the local stack. Each is read once, on first use.

// ParameterReader is the part of the SSM client a secret is read with.
type ParameterReader interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretReader is the part of the Secrets Manager client a secret is read
// with.
type SecretReader interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// FromParameter reads a SecureString (or String) parameter, decrypted.
func FromParameter(c ParameterReader, name string) Secret {
	return func(ctx context.Context) (string, error) {
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", fmt.Errorf("parameter %s: %w", name, err)
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return "", fmt.Errorf("parameter %s has no value", name)
		}
		return *out.Parameter.Value, nil
	}
}

// FromSecret reads a secret's current string value.
func FromSecret(c SecretReader, id string) Secret {
	return func(ctx context.Context) (string, error) {
		out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", id, err)
		}
		if out.SecretString == nil {
			return "", fmt.Errorf("secret %s holds no string", id)
		}
		return *out.SecretString, nil
	}
}

// FromFile reads a file (the local stack's secret).
func FromFile(path string) Secret {
	return func(context.Context) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
}

// Sources builds the secret readers on demand: the composition root passes
// constructors, so a function builds only the client its setting names.
type Sources struct {
	Parameters func() ParameterReader
	Secrets    func() SecretReader
}

// SecretOf returns where cfg's secret is read from.
func (s Sources) SecretOf(cfg *settings.Captcha) Secret {
	if cfg == nil {
		return nil
	}
	return s.Ref(cfg.Secret)
}

// Ref returns the reader of the secret a settings reference names
// ("ssm:<parameter>", "secretsmanager:<name or ARN>", "file:<path>").
func (s Sources) Ref(ref string) Secret {
	scheme, name := settings.ParseSecretRef(ref)
	switch scheme {
	case settings.SecretSSM:
		return FromParameter(s.Parameters(), name)
	case settings.SecretSecretsManager:
		return FromSecret(s.Secrets(), name)
	case settings.SecretFile:
		return FromFile(name)
	}
	return func(context.Context) (string, error) { return "", fmt.Errorf("unknown secret scheme %q", scheme) }
}
