package captcha_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/captcha/providertest"
	"github.com/openreg/registration/internal/settings"
)

const secret = "0x4AAAAAAA-test-secret"

var shop = settings.URLs{PublicAPI: "https://api.shop.example", Storefront: "https://shop.example"}

func config(provider, url string) *settings.Captcha {
	c := &settings.Captcha{Provider: provider, SiteKey: "site-key", Secret: "file:unused", VerifyURL: url,
		Timeout: settings.Duration(300 * time.Millisecond),
		On:      settings.CaptchaOn{Registration: true, SignIn: true, PasswordReset: true, Resend: true}}
	if provider == settings.RecaptchaV3 {
		c.MinScore = 0.5
	}
	return c
}

func fixedSecret(s string) captcha.Secret {
	return func(context.Context) (string, error) { return s, nil }
}

// outcome is what Verify answered: "", or the field code, or "503".
func outcome(t *testing.T, err error) string {
	t.Helper()
	var e *apperr.Error
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &e):
		t.Fatalf("not an apperr: %v", err)
	case e.Code == apperr.Unavailable:
		return "503"
	case e.Code == apperr.Validation && len(e.Fields) == 1 && e.Fields[0].Field == captcha.Field:
		return e.Fields[0].Code
	}
	t.Fatalf("unexpected error %v", err)
	return ""
}

func TestProviders(t *testing.T) {
	type kase struct {
		name, token string
		place       captcha.Place
		want        string
	}
	common := []kase{
		{"a solved challenge passes", "pass@register", captcha.Register, ""},
		{"a token the provider did not issue fails", "fail", captcha.Register, captcha.CodeFailed},
		{"a challenge solved on another site fails", "other-host@register", captcha.Register, captcha.CodeFailed},
		{"an empty token is required, and not sent", "", captcha.Register, captcha.CodeRequired},
		{"an over-long token fails, and is not sent", strings.Repeat("x", captcha.MaxToken+1), captcha.Register, captcha.CodeFailed},
		{"a provider slower than the timeout is a 503, not a pass", "slow", captcha.Register, "503"},
	}
	extra := map[string][]kase{
		settings.RecaptchaV3: {
			{"a low score fails", "low-score@register", captcha.Register, captcha.CodeFailed},
			{"a widget rendered for another action fails", "other-action", captcha.Register, captcha.CodeFailed},
			{"a sign-in widget does not pass registration", "pass@signIn", captcha.Register, captcha.CodeFailed},
			{"a sign-in widget passes sign-in", "pass@signIn", captcha.SignIn, ""},
		},
		settings.Turnstile: {
			{"a widget rendered for another action fails", "other-action", captcha.Register, captcha.CodeFailed},
			{"a reset widget passes the reset", "pass@passwordReset", captcha.PasswordReset, ""},
		},
	}
	for _, provider := range settings.CaptchaProviders {
		t.Run(provider, func(t *testing.T) {
			for _, c := range append(common, extra[provider]...) {
				t.Run(c.name, func(t *testing.T) {
					srv := providertest.Start(t, provider, secret, "site-key")
					var logs bytes.Buffer
					g := captcha.New(config(provider, srv.URL), shop, fixedSecret(secret), http.DefaultClient,
						slog.New(slog.NewTextHandler(&logs, nil)))
					got := outcome(t, g.Verify(context.Background(), c.place, c.token, "203.0.113.7"))
					if got != c.want {
						t.Fatalf("Verify(%.20q) = %q, want %q", c.token, got, c.want)
					}
					wantSent := 1
					if c.token == "" || len(c.token) > captcha.MaxToken {
						wantSent = 0
					}
					if n := srv.Sent(c.token); n != wantSent {
						t.Errorf("the token was sent %d times, want %d", n, wantSent)
					}
					if c.token != "" && strings.Contains(logs.String(), c.token) {
						t.Errorf("the token was logged: %s", logs.String())
					}
					for _, r := range srv.Received() {
						if r.RemoteIP != "203.0.113.7" {
							t.Errorf("remoteip = %q, want the client's address", r.RemoteIP)
						}
						if provider == settings.HCaptcha && r.SiteKey != "site-key" {
							t.Errorf("hCaptcha was not sent the site key: %q", r.SiteKey)
						}
					}
				})
			}
			t.Run("a token verified before fails the second time", func(t *testing.T) {
				srv := providertest.Start(t, provider, secret, "site-key")
				g := captcha.New(config(provider, srv.URL), shop, fixedSecret(secret), http.DefaultClient, slog.New(slog.DiscardHandler))
				if got := outcome(t, g.Verify(context.Background(), captcha.Register, "pass@register", "")); got != "" {
					t.Fatalf("first use: %q", got)
				}
				if got := outcome(t, g.Verify(context.Background(), captcha.Register, "pass@register", "")); got != captcha.CodeFailed {
					t.Fatalf("second use: %q, want %q", got, captcha.CodeFailed)
				}
			})
			t.Run("a secret the provider refuses is a 503 for the operator, not the customer's fault", func(t *testing.T) {
				srv := providertest.Start(t, provider, secret, "site-key")
				var logs bytes.Buffer
				g := captcha.New(config(provider, srv.URL), shop, fixedSecret("wrong"), http.DefaultClient, slog.New(slog.NewTextHandler(&logs, nil)))
				if got := outcome(t, g.Verify(context.Background(), captcha.Register, "pass@register", "")); got != "503" {
					t.Fatalf("got %q, want 503", got)
				}
				if !strings.Contains(logs.String(), "invalid-input-secret") {
					t.Errorf("the operator is not told why: %s", logs.String())
				}
				if strings.Contains(logs.String(), "wrong") {
					t.Errorf("the secret was logged: %s", logs.String())
				}
			})
		})
	}
}

func TestProviderOutages(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + closed.Addr().String() + "/siteverify"
	closed.Close()
	answering := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	cases := []struct {
		name, url string
	}{
		{"a provider that cannot be reached", down},
		{"a provider answering 500", answering(http.StatusInternalServerError, `{"success": true}`)},
		{"a provider answering HTML", answering(http.StatusOK, `<html>maintenance</html>`)},
		{"a provider answering its internal error", answering(http.StatusOK, `{"success": false, "error-codes": ["internal-error"]}`)},
	}
	for _, c := range cases {
		t.Run(c.name+" is a 503, never a pass", func(t *testing.T) {
			g := captcha.New(config(settings.Turnstile, c.url), shop, fixedSecret(secret), http.DefaultClient, slog.New(slog.DiscardHandler))
			if got := outcome(t, g.Verify(context.Background(), captcha.Register, "pass@register", "")); got != "503" {
				t.Fatalf("got %q, want 503", got)
			}
		})
	}
	t.Run("a secret that cannot be read is a 503, and is asked for again next time", func(t *testing.T) {
		srv := providertest.Start(t, settings.HCaptcha, secret, "site-key")
		var calls atomic.Int32
		source := func(context.Context) (string, error) {
			if calls.Add(1) == 1 {
				return "", errors.New("SSM throttled")
			}
			return secret, nil
		}
		g := captcha.New(config(settings.HCaptcha, srv.URL), shop, source, http.DefaultClient, slog.New(slog.DiscardHandler))
		if got := outcome(t, g.Verify(context.Background(), captcha.Register, "pass", "")); got != "503" {
			t.Fatalf("first: %q, want 503", got)
		}
		if got := outcome(t, g.Verify(context.Background(), captcha.Register, "pass", "")); got != "" {
			t.Fatalf("second: %q, want a pass", got)
		}
		if got := outcome(t, g.Verify(context.Background(), captcha.Register, "other-host", "")); got != captcha.CodeFailed {
			t.Fatalf("third: %q", got)
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("the secret was read %d times, want 2 (once failing, then kept)", n)
		}
	})
}

func TestGate(t *testing.T) {
	cfg := config(settings.RecaptchaV2, "http://127.0.0.1:1/siteverify")
	cfg.On = settings.CaptchaOn{Registration: true, Resend: true}
	g := captcha.New(cfg, shop, fixedSecret(secret), http.DefaultClient, slog.New(slog.DiscardHandler))
	cases := []struct {
		name  string
		gate  *captcha.Gate
		place captcha.Place
		want  bool
	}{
		{"a place the settings name asks for a CAPTCHA", g, captcha.Register, true},
		{"a place they do not name does not", g, captcha.PasswordReset, false},
		{"a store without a CAPTCHA asks nowhere", captcha.Off, captcha.Register, false},
		{"a nil gate asks nowhere", nil, captcha.Resend, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.gate.Required(c.place); got != c.want {
				t.Fatalf("Required(%s) = %v", c.place, got)
			}
			if !c.want {
				if err := c.gate.Check(context.Background(), c.place, "", ""); err != nil {
					t.Fatalf("Check where none is required: %v", err)
				}
			}
		})
	}
	t.Run("the form names the provider, the site key and the places, never the secret", func(t *testing.T) {
		f := g.Describe()
		if f.Provider != settings.RecaptchaV2 || f.SiteKey != "site-key" || len(f.On) != 2 || f.On[0] != captcha.Register || f.On[1] != captcha.Resend {
			t.Fatalf("form = %+v", f)
		}
		if captcha.Off.Describe() != nil {
			t.Fatal("a store without a CAPTCHA describes one")
		}
	})
	t.Run("hostnames default to the storefront's and the allowed origins'", func(t *testing.T) {
		u := shop
		u.AllowedOrigins = []string{"https://m.shop.example", "https://shop.example"}
		got := (&settings.Captcha{}).AllowedHostnames(u)
		if strings.Join(got, ",") != "shop.example,m.shop.example" {
			t.Fatalf("hostnames = %v", got)
		}
	})
}
