package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/openreg/registration/internal/captcha/providertest"
	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/testenv"
)

// TestCaptcha runs each provider's protocol through the gateway, with the
// secret where a deployed stack keeps it (Parameter Store or Secrets
// Manager, on moto) and the provider a recorded server on 127.0.0.1.
func TestCaptcha(t *testing.T) {
	ctx := context.Background()
	clients := testenv.Clients(t)
	const secret = "0x4AAAAAAA-e2e-secret"
	param := putSecureParameter(t, clients, "captcha", secret)
	secretName := testenv.Name("captcha")
	if _, err := clients.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(secretName),
		SecretString: aws.String(secret)}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	where := map[string]string{
		settings.RecaptchaV2: "ssm:" + param, settings.RecaptchaV3: "secretsmanager:" + secretName,
		settings.HCaptcha: "ssm:" + param, settings.Turnstile: "secretsmanager:" + secretName,
	}
	everywhere := settings.CaptchaOn{Registration: true, SignIn: true, PasswordReset: true, Resend: true}

	for _, provider := range settings.CaptchaProviders {
		t.Run(provider, func(t *testing.T) {
			srv := providertest.Start(t, provider, secret, "site-key-"+provider)
			// The functions that verify CAPTCHAs may read this one secret:
			// the template a deployment with it would have grants that.
			tpl := templateWith(t, func(s *settings.Settings) {
				s.Captcha = &settings.Captcha{Provider: provider, SiteKey: "site-key-" + provider, Secret: where[provider],
					Timeout: settings.Duration(time.Second), On: everywhere}
			})
			st := newStackOn(t, func(s *settings.Settings) {
				s.Captcha = srv.Settings(t, everywhere)
				s.Captcha.Secret = where[provider]
				s.Captcha.Timeout = settings.Duration(500 * time.Millisecond)
				s.SignInThrottle = settings.SignInThrottle{PerLogin: settings.Limit{Max: 2, Window: settings.Duration(time.Hour)},
					Slowdown: settings.Duration(time.Minute)}
			}, tpl, nil, true)

			t.Run("the form names the provider, the site key and the places", func(t *testing.T) {
				form := st.do(http.MethodGet, "/v1/registration-form", "", nil).json(t)
				c, _ := form["captcha"].(map[string]any)
				if c["provider"] != provider || c["siteKey"] != "site-key-"+provider || len(c["on"].([]any)) != 4 {
					t.Fatalf("captcha = %v", form["captcha"])
				}
				if _, leaked := c["secret"]; leaked {
					t.Fatal("the form shows where the secret is")
				}
			})

			email := testenv.Name("ada") + "@example.com"
			refused := []struct {
				name, path string
				body       map[string]any
				status     int
				code, want string
			}{
				{"a registration without a token", "/v1/customers", person(email), 400, "validation_failed", "captcha_required"},
				{"a registration with a refused token", "/v1/customers", with(person(email), "captchaToken", "fail"), 400, "validation_failed", "captcha_failed"},
				{"a registration solved on another site", "/v1/customers", with(person(email), "captchaToken", "other-host@register"), 400, "validation_failed", "captcha_failed"},
				{"a resend without a token", "/v1/verify-email/resend", map[string]any{"email": email}, 400, "validation_failed", "captcha_required"},
				{"a resend whose provider is too slow", "/v1/verify-email/resend", map[string]any{"email": email, "captchaToken": "slow"}, 503, "service_unavailable", ""},
				{"a reset with a refused token", "/v1/password-resets", map[string]any{"email": email, "captchaToken": "fail#reset"}, 400, "validation_failed", "captcha_failed"},
				{"a reset without a token", "/v1/password-resets", map[string]any{"email": email}, 400, "validation_failed", "captcha_required"},
			}
			for _, c := range refused {
				t.Run(c.name+" is refused and stores nothing", func(t *testing.T) {
					before := st.items()
					r := st.postJSON(c.path, c.body)
					if r.status != c.status || r.code(t) != c.code {
						t.Fatalf("%d %s, want %d %s: %s", r.status, r.body, c.status, c.code, r.body)
					}
					if c.want != "" && fieldCode(t, r, "captchaToken") != c.want {
						t.Fatalf("captchaToken: %s, want %s", r.body, c.want)
					}
					if after := st.items(); after != before {
						t.Errorf("%d items before, %d after", before, after)
					}
				})
			}

			t.Run("a solved CAPTCHA registers, resends and resets", func(t *testing.T) {
				if r := st.register(with(person(email), "captchaToken", "pass@register")); r.status != http.StatusAccepted {
					t.Fatalf("register: %d %s", r.status, r.body)
				}
				if r := st.postJSON("/v1/verify-email/resend", map[string]any{"email": email, "captchaToken": "pass@resend"}); r.status != http.StatusAccepted {
					t.Fatalf("resend: %d %s", r.status, r.body)
				}
				if r := st.postJSON("/v1/password-resets", map[string]any{"email": email, "captchaToken": "pass@passwordReset"}); r.status != http.StatusAccepted {
					t.Fatalf("reset: %d %s", r.status, r.body)
				}
			})

			t.Run("a login under attack asks for a CAPTCHA instead of slowing its owner down", func(t *testing.T) {
				login := testenv.Name("bob") + "@example.com"
				for range 2 {
					if r := st.signIn(login, "guess"); r.status != http.StatusUnauthorized {
						t.Fatalf("guess: %d %s", r.status, r.body)
					}
				}
				r := st.signIn(login, "guess")
				if r.status != http.StatusBadRequest || fieldCode(t, r, "captchaToken") != "captcha_required" {
					t.Fatalf("third attempt: %d %s, want captcha_required", r.status, r.body)
				}
				r = st.postJSON("/v1/sessions", map[string]any{"login": login, "password": "guess", "captchaToken": "pass@signIn"})
				if r.status != http.StatusUnauthorized {
					t.Fatalf("with a solved CAPTCHA: %d %s, want 401 (at once, no slowdown)", r.status, r.body)
				}
			})

			for _, r := range srv.Received() {
				if r.Token == "" {
					t.Error("an empty token was sent to the provider")
				}
			}
			for _, tok := range []string{"fail", "pass@register", "pass@signIn", "slow"} {
				if n := srv.Sent(tok); n != 1 {
					t.Errorf("token %q was sent %d times, want once", tok, n)
				}
			}
		})
	}
}

// with returns a copy of body with key set.
func with(body map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(body)+1)
	for k, x := range body {
		out[k] = x
	}
	out[key] = v
	return out
}

// fieldCode is the code of the problem's error on field ("" when none).
func fieldCode(t *testing.T, r response, field string) string {
	t.Helper()
	errs, _ := r.json(t)["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		if m["field"] == field {
			code, _ := m["code"].(string)
			return code
		}
	}
	return ""
}

// putSecureParameter keeps value in (moto's) Parameter Store as a
// SecureString under a fresh name, which it returns.
func putSecureParameter(t *testing.T, clients devstack.Clients, prefix, value string) string {
	t.Helper()
	name := "/" + testenv.Name(prefix)
	if _, err := clients.SSM.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
		Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("put parameter: %v", err)
	}
	return name
}
