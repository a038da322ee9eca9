package settings

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CAPTCHA providers: each is verified server-side at its verify endpoint.
const (
	RecaptchaV2 = "recaptcha-v2"
	RecaptchaV3 = "recaptcha-v3"
	HCaptcha    = "hcaptcha"
	Turnstile   = "turnstile"
)

// CaptchaProviders lists the providers in the order the documents name them.
var CaptchaProviders = []string{RecaptchaV2, RecaptchaV3, HCaptcha, Turnstile}

// Captcha is the CAPTCHA a store asks for: the provider, its public site
// key, where to find the secret key, and the places it applies to. The
// secret itself is never in this document (nor in the template built from
// it): Secret names where it is kept.
type Captcha struct {
	Provider string `json:"provider"`
	SiteKey  string `json:"siteKey"`
	// Secret is "ssm:<parameter name>" (a SecureString in Parameter
	// Store), "secretsmanager:<secret name or ARN>", or, in the local
	// stack only, "file:<path>".
	Secret string `json:"secret"`
	// VerifyURL overrides the provider's verify endpoint (a proxy, or a
	// test server).
	VerifyURL string `json:"verifyUrl,omitempty"`
	// Hostnames are the sites a solved challenge may come from; empty
	// means the storefront's host and the allowed origins' hosts.
	Hostnames []string `json:"hostnames,omitempty"`
	// MinScore is the least reCAPTCHA v3 score (0.0 bot to 1.0 human)
	// that passes.
	MinScore float64 `json:"minScore,omitempty"`
	// Timeout bounds the wait for the provider; past it the request gets
	// 503, never a silent pass.
	Timeout Duration `json:"timeout"`
	// On says where the CAPTCHA applies. SignIn asks for it only of a
	// login that failed past signInThrottle.perLogin (instead of the
	// slowdown).
	On CaptchaOn `json:"on"`
}

// Defaults of a CAPTCHA document that leaves them out.
const (
	DefaultCaptchaTimeout  = Duration(3 * time.Second)
	DefaultCaptchaMinScore = 0.5
)

// CaptchaOn lists the places a CAPTCHA applies to.
type CaptchaOn struct {
	Registration  bool `json:"registration"`
	SignIn        bool `json:"signIn"`
	PasswordReset bool `json:"passwordReset"`
	Resend        bool `json:"resend"`
}

// SecretRef splits Secret into its scheme and name.
func (c Captcha) SecretRef() (scheme, name string) { return ParseSecretRef(c.Secret) }

// AllowedHostnames is where a solved challenge may come from.
func (c Captcha) AllowedHostnames(u URLs) []string {
	if len(c.Hostnames) > 0 {
		return c.Hostnames
	}
	var out []string
	for _, o := range u.BrowserOrigins() {
		if p, err := url.Parse(o); err == nil && p.Hostname() != "" && !slices.Contains(out, p.Hostname()) {
			out = append(out, p.Hostname())
		}
	}
	return out
}

// fillDefaults gives a document's CAPTCHA the timeout and minimum score it
// leaves out.
func (c *Captcha) fillDefaults() {
	if c.Timeout == 0 {
		c.Timeout = DefaultCaptchaTimeout
	}
	if c.Provider == RecaptchaV3 && c.MinScore == 0 {
		c.MinScore = DefaultCaptchaMinScore // Google's suggested start
	}
}

// validateCaptcha checks the CAPTCHA, if any, and that sign-in's has the
// per-login limit it waits for.
func (s Settings) validateCaptcha(p *problems) {
	if s.Captcha == nil {
		return
	}
	s.Captcha.validate(p)
	if s.Captcha.On.SignIn && !s.SignInThrottle.PerLogin.On() {
		p.bad("captcha.on.signIn", "asks for a CAPTCHA once a login fails past signInThrottle.perLogin, which is off")
	}
}

var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// validate checks a CAPTCHA's provider, keys, endpoint and bounds.
func (c Captcha) validate(p *problems) {
	if !slices.Contains(CaptchaProviders, c.Provider) {
		p.bad("captcha.provider", "must be one of %s, got %q", strings.Join(CaptchaProviders, ", "), c.Provider)
	}
	if strings.TrimSpace(c.SiteKey) == "" || len(c.SiteKey) > 200 {
		p.bad("captcha.siteKey", "must be the provider's site key (1-200 characters)")
	}
	validSecretRef(p, "captcha.secret", c.Secret)
	if u, ok := httpURL(c.VerifyURL); c.VerifyURL != "" && (!ok || u.Fragment != "") {
		p.bad("captcha.verifyUrl", "must be an absolute http(s) URL, got %q", c.VerifyURL)
	}
	for i, h := range c.Hostnames {
		if !hostnamePattern.MatchString(h) {
			p.bad(fmt.Sprintf("captcha.hostnames[%d]", i), "must be a host name such as shop.example, got %q", h)
		}
	}
	if c.Provider == RecaptchaV3 && (c.MinScore <= 0 || c.MinScore > 1) {
		p.bad("captcha.minScore", "must be above 0 and at most 1 for recaptcha-v3, got %v", c.MinScore)
	}
	if c.Provider != RecaptchaV3 && c.MinScore != 0 {
		p.bad("captcha.minScore", "applies to recaptcha-v3 only")
	}
	p.durationIn("captcha.timeout", c.Timeout, 100*time.Millisecond, 10*time.Second, "")
	if c.On == (CaptchaOn{}) {
		p.bad("captcha.on", "must name at least one of registration, signIn, passwordReset, resend")
	}
}
