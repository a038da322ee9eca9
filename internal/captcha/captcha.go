package captcha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/settings"
)

// Place is where a CAPTCHA can apply; its name is also the action a
// reCAPTCHA v3 or Turnstile widget must be rendered with there.
type Place string

// Places.
const (
	Register      Place = "register"
	SignIn        Place = "signIn"
	PasswordReset Place = "passwordReset"
	Resend        Place = "resend"
)

// MaxToken bounds a token: providers' tokens are a few kilobytes at most
// (Turnstile documents 2048 characters), and a longer one is not sent.
const MaxToken = 4096

// Field is the request field a CAPTCHA token travels in.
const Field = "captchaToken"

// Field codes of a CAPTCHA problem.
const (
	CodeRequired = "captcha_required"
	CodeFailed   = "captcha_failed"
)

// Doer sends HTTP requests (*http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Secret returns the provider's secret key (see Secrets).
type Secret func(ctx context.Context) (string, error)

// DefaultVerifyURLs are the providers' documented verify endpoints.
var DefaultVerifyURLs = map[string]string{
	settings.RecaptchaV2: "https://www.google.com/recaptcha/api/siteverify",
	settings.RecaptchaV3: "https://www.google.com/recaptcha/api/siteverify",
	settings.HCaptcha:    "https://api.hcaptcha.com/siteverify",
	settings.Turnstile:   "https://challenges.cloudflare.com/turnstile/v0/siteverify",
}

// configErrors are the error codes that mean our side is misconfigured (the
// secret, the site key) or the provider failed, not that the customer did:
// those answer 503 and are logged for the operator.
var configErrors = []string{
	"missing-input-secret", "invalid-input-secret", "sitekey-secret-mismatch", "invalid-sitekey",
	"bad-request", "internal-error", "invalid-keys",
}

// Gate decides whether a request carries a solved CAPTCHA. A Gate without
// settings (Off) requires none anywhere.
type Gate struct {
	cfg       *settings.Captcha
	hostnames []string
	verifyURL string
	client    Doer
	log       *slog.Logger

	secret Secret
	mu     sync.Mutex
	cached string
}

// Off is the gate of a store without a CAPTCHA.
var Off = &Gate{}

// New returns the gate of cfg (nil: Off). urls are the store's, whose hosts
// a solved challenge may come from unless cfg names hostnames. The secret is
// fetched on first use and kept: a function that never needs it never asks.
func New(cfg *settings.Captcha, urls settings.URLs, secret Secret, client Doer, log *slog.Logger) *Gate {
	if cfg == nil {
		return Off
	}
	g := &Gate{cfg: cfg, verifyURL: cfg.VerifyURL, client: client, log: log, secret: secret}
	for _, h := range cfg.AllowedHostnames(urls) {
		g.hostnames = append(g.hostnames, strings.ToLower(h))
	}
	if g.verifyURL == "" {
		g.verifyURL = DefaultVerifyURLs[cfg.Provider]
	}
	return g
}

// Required reports whether place asks for a CAPTCHA (for sign-in: may ask,
// once a login failed past its limit).
func (g *Gate) Required(p Place) bool {
	if g == nil || g.cfg == nil {
		return false
	}
	on := g.cfg.On
	switch p {
	case Register:
		return on.Registration
	case SignIn:
		return on.SignIn
	case PasswordReset:
		return on.PasswordReset
	case Resend:
		return on.Resend
	}
	return false
}

// Check verifies token when place requires a CAPTCHA, and passes otherwise.
func (g *Gate) Check(ctx context.Context, p Place, token, remoteIP string) error {
	if !g.Required(p) {
		return nil
	}
	return g.Verify(ctx, p, token, remoteIP)
}

// Missing is the 400 of a request that needs a CAPTCHA and carries none.
func Missing() error {
	return apperr.Invalid([]apperr.FieldError{{Field: Field, Code: CodeRequired, Message: "Solve the CAPTCHA first."}})
}

// CheckToken adds a token's problems to a form's field problems: missing
// where required, or longer than any provider's (wherever it is sent), so
// that the answer names every problem at once, and the provider is asked
// only about a form that is otherwise valid (a token is good for one
// verification).
func CheckToken(f *apperr.Fields, required bool, token string) {
	switch {
	case len(token) > MaxToken:
		f.Add(Field, "too_long", fmt.Sprintf("A CAPTCHA token has at most %d characters.", MaxToken))
	case required && strings.TrimSpace(token) == "":
		f.Add(Field, CodeRequired, "Solve the CAPTCHA first.")
	}
}

// Checker is what a use case needs of a Gate.
type Checker interface {
	Required(p Place) bool
	Verify(ctx context.Context, p Place, token, remoteIP string) error
}

// Guard is the CAPTCHA step of a form whose other problems f holds: the
// token's own problems join them; a form with problems is refused without
// asking the provider; then, where p asks for one, the token is verified.
func Guard(ctx context.Context, g Checker, p Place, f *apperr.Fields, token, remoteIP string) error {
	CheckToken(f, g.Required(p), token)
	if err := f.Err(); err != nil {
		return err
	}
	if !g.Required(p) {
		return nil
	}
	return g.Verify(ctx, p, token, remoteIP)
}

func failed() error {
	return apperr.Invalid([]apperr.FieldError{{Field: Field, Code: CodeFailed, Message: "The CAPTCHA was not solved; try again."}})
}

func unavailable(format string, a ...any) error {
	return apperr.Wrap(apperr.Unavailable, "The CAPTCHA check is unavailable; try again.", fmt.Errorf(format, a...))
}

// answer is the verify endpoint's JSON, the fields the four providers
// share (reCAPTCHA's, hCaptcha's and Turnstile's documents name them alike).
type answer struct {
	Success    bool     `json:"success"`
	Hostname   string   `json:"hostname"`
	Action     string   `json:"action"`
	Score      *float64 `json:"score"`
	ErrorCodes []string `json:"error-codes"`
}

// Verify asks the provider about token, once, within the configured
// timeout.
func (g *Gate) Verify(ctx context.Context, p Place, token, remoteIP string) error {
	if g == nil || g.cfg == nil {
		return nil
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return Missing()
	case len(token) > MaxToken:
		return failed()
	}
	secret, err := g.secretKey(ctx)
	if err != nil {
		return unavailable("captcha secret: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(g.cfg.Timeout))
	defer cancel()
	form := url.Values{"secret": {secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	if g.cfg.Provider == settings.HCaptcha {
		form.Set("sitekey", g.cfg.SiteKey) // hCaptcha checks the token was issued for it
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.verifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return unavailable("captcha request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := g.client.Do(req)
	if err != nil {
		// The client's error names the URL, never the body with the token.
		return unavailable("%s verify: %w", g.cfg.Provider, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return unavailable("%s verify answered HTTP %d", g.cfg.Provider, resp.StatusCode)
	}
	var a answer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&a); err != nil {
		return unavailable("%s verify answered no JSON: %w", g.cfg.Provider, err)
	}
	return g.judge(ctx, p, a)
}

// judge applies the store's rules to the provider's answer.
func (g *Gate) judge(ctx context.Context, p Place, a answer) error {
	if !a.Success {
		for _, code := range a.ErrorCodes {
			if slices.Contains(configErrors, code) {
				g.log.ErrorContext(ctx, "CAPTCHA provider refused our configuration", "provider", g.cfg.Provider, "errorCodes", a.ErrorCodes)
				return unavailable("%s verify: %v", g.cfg.Provider, a.ErrorCodes)
			}
		}
		g.log.InfoContext(ctx, "CAPTCHA refused", "provider", g.cfg.Provider, "place", string(p), "errorCodes", a.ErrorCodes)
		return failed()
	}
	if len(g.hostnames) > 0 && !slices.Contains(g.hostnames, strings.ToLower(a.Hostname)) {
		g.log.InfoContext(ctx, "CAPTCHA solved on another site", "provider", g.cfg.Provider, "hostname", a.Hostname)
		return failed()
	}
	switch g.cfg.Provider {
	case settings.RecaptchaV3:
		if a.Action != string(p) {
			g.log.InfoContext(ctx, "CAPTCHA solved for another action", "provider", g.cfg.Provider, "action", a.Action, "place", string(p))
			return failed()
		}
		if a.Score == nil {
			return unavailable("recaptcha-v3 answered without a score: is the secret a v2 key?")
		}
		if *a.Score < g.cfg.MinScore {
			g.log.InfoContext(ctx, "CAPTCHA score too low", "score", *a.Score, "minScore", g.cfg.MinScore)
			return failed()
		}
	case settings.Turnstile:
		// Turnstile protects the action's integrity; a widget rendered
		// for another place (or none) does not pass here.
		if a.Action != string(p) {
			g.log.InfoContext(ctx, "CAPTCHA solved for another action", "provider", g.cfg.Provider, "action", a.Action, "place", string(p))
			return failed()
		}
	}
	return nil
}

// secretKey returns the secret, fetching it the first time.
func (g *Gate) secretKey(ctx context.Context) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cached != "" {
		return g.cached, nil
	}
	if g.secret == nil {
		return "", errors.New("no secret source wired")
	}
	s, err := g.secret(ctx)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("the secret is empty")
	}
	g.cached = s
	return s, nil
}

// Form is what the registration form tells a storefront about the CAPTCHA:
// the provider, the site key and the places that ask for it (each also the
// action to render a v3 or Turnstile widget with).
type Form struct {
	Provider string  `json:"provider"`
	SiteKey  string  `json:"siteKey"`
	On       []Place `json:"on"`
}

// Describe returns the form's CAPTCHA, or nil when the store has none.
func (g *Gate) Describe() *Form {
	if g == nil || g.cfg == nil {
		return nil
	}
	f := &Form{Provider: g.cfg.Provider, SiteKey: g.cfg.SiteKey, On: []Place{}}
	for _, p := range []Place{Register, SignIn, PasswordReset, Resend} {
		if g.Required(p) {
			f.On = append(f.On, p)
		}
	}
	return f
}
