// Package settings is the store's registration settings document: one typed,
// validated JSON document that the operator writes and every function reads
// unchanged. Defaults follow the seed shop system (nopCommerce) except where
// the v1 contract says otherwise (double opt-in by default, a lockout that
// exists). Nothing here reads the environment; config loads the document and
// infra validates it at synth time with the same Validate.
package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/redirect"
)

// RegistrationType is how a new account becomes usable.
type RegistrationType string

// The registration types of the seed system.
const (
	// Standard accounts are active at once and signed in.
	Standard RegistrationType = "Standard"
	// EmailValidation accounts are active after the customer confirms the
	// mailed link (double opt-in).
	EmailValidation RegistrationType = "EmailValidation"
	// AdminApproval accounts confirm their address and then wait for an
	// administrator.
	AdminApproval RegistrationType = "AdminApproval"
	// Disabled refuses all registrations.
	Disabled RegistrationType = "Disabled"
)

func (t RegistrationType) valid() bool {
	switch t {
	case Standard, EmailValidation, AdminApproval, Disabled:
		return true
	}
	return false
}

// Duration is a time.Duration written as Go duration text ("24h", "30m").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads duration text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"24h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Field is whether a profile field is shown and whether it must be filled.
type Field struct {
	Enabled  bool `json:"enabled"`
	Required bool `json:"required"`
}

// Profile field names, as they appear in the register request.
const (
	FirstName      = "firstName"
	LastName       = "lastName"
	Gender         = "gender"
	DateOfBirth    = "dateOfBirth"
	Company        = "company"
	StreetAddress  = "streetAddress"
	StreetAddress2 = "streetAddress2"
	ZipPostalCode  = "zipPostalCode"
	City           = "city"
	County         = "county"
	CountryCode    = "countryCode"
	StateProvince  = "stateProvince"
	Phone          = "phone"
	Fax            = "fax"
	TimeZone       = "timeZone"
	VatNumber      = "vatNumber"
)

// ProfileFields lists every optional profile field in form order.
var ProfileFields = []string{
	FirstName, LastName, Gender, DateOfBirth, Company, StreetAddress, StreetAddress2, ZipPostalCode,
	City, County, CountryCode, StateProvince, Phone, Fax, TimeZone, VatNumber,
}

// AddressFieldNames are the profile fields an address is made of.
var AddressFieldNames = []string{
	FirstName, LastName, Company, StreetAddress, StreetAddress2, ZipPostalCode, City, County, CountryCode,
	StateProvince, Phone, Fax,
}

// Consent log ids the service itself uses; a store's consents may not.
const (
	ReservedPrivacyConsent    = "privacy_policy"
	ReservedNewsletterConsent = "newsletter"
)

// Consent is a GDPR consent shown during registration.
type Consent struct {
	ID       string `json:"id"`
	Message  string `json:"message"`
	Required bool   `json:"required"`
}

// NewsletterType is a newsletter a customer can subscribe to when registering.
type NewsletterType struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	TickedByDefault bool   `json:"tickedByDefault"`
}

// AttributeType is the kind of value a custom customer attribute holds.
type AttributeType string

// Attribute types.
const (
	AttributeText     AttributeType = "text"
	AttributeDropdown AttributeType = "dropdown"
	AttributeCheckbox AttributeType = "checkbox"
)

// Attribute is a store-defined customer attribute.
type Attribute struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Type     AttributeType `json:"type"`
	Required bool          `json:"required"`
	// Values lists the allowed values of a dropdown.
	Values []string `json:"values,omitempty"`
}

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

// Secret reference schemes.
const (
	SecretSSM            = "ssm"
	SecretSecretsManager = "secretsmanager"
	SecretFile           = "file"
)

// SecretRef splits Secret into its scheme and name.
func (c Captcha) SecretRef() (scheme, name string) {
	scheme, name, _ = strings.Cut(c.Secret, ":")
	return scheme, name
}

// AllowedHostnames is where a solved challenge may come from.
func (c Captcha) AllowedHostnames(u URLs) []string {
	if len(c.Hostnames) > 0 {
		return c.Hostnames
	}
	var out []string
	for _, o := range u.BrowserOrigins() {
		if p, err := url.Parse(o); err == nil && p.Hostname() != "" && !contains(out, p.Hostname()) {
			out = append(out, p.Hostname())
		}
	}
	return out
}

// Limit is at most Max events per Window; Max 0 turns the limit off.
type Limit struct {
	Max    int      `json:"max"`
	Window Duration `json:"window"`
}

// On reports whether the limit applies.
func (l Limit) On() bool { return l.Max > 0 }

func (l Limit) validate(key string, bad func(key, format string, a ...any)) {
	if l.Max < 0 {
		bad(key+".max", "must not be negative")
	}
	if l.Max > 0 && (l.Window < Duration(time.Second) || time.Duration(l.Window) > 24*time.Hour) {
		bad(key+".window", "must be between 1s and 24h when max is set, got %s", time.Duration(l.Window))
	}
}

// SignInThrottle limits failed sign-ins so that a guessing client is stopped
// while the account's owner, from another address, still signs in. A login
// is counted by the account it names once that is found (so its email
// address and username share one budget), else by the login text.
type SignInThrottle struct {
	// PerLoginAndClient counts failures of one login from one client
	// address; past Max that client is refused for that login until the
	// window ends (429 locked_out). The owner elsewhere is unaffected.
	PerLoginAndClient Limit `json:"perLoginAndClient"`
	// PerClient counts failures from one client address across all logins
	// (password spraying); past Max the client is refused (429
	// too_many_requests) until the window ends.
	PerClient Limit `json:"perClient"`
	// PerLogin counts failures of one login from all clients. Past Max the
	// login is not locked: attempts on it are let through at most one per
	// Slowdown, so a distributed attack crawls and the owner waits seconds.
	PerLogin Limit    `json:"perLogin"`
	Slowdown Duration `json:"slowdown"`
}

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

// ServerKey is one server-side storefront's key: a server that calls on a
// shopper's behalf sends it in X-Storefront-Key, and the shopper's address
// in X-Shopper-Address, which every per-client limit, CAPTCHA check and
// activity entry then uses.
type ServerKey struct {
	// ID names the key in logs and its counter ("ssr-shop").
	ID string `json:"id"`
	// Secret names where the key is kept: "ssm:<parameter>",
	// "secretsmanager:<name or ARN>" or, in the local stack, "file:<path>".
	Secret string `json:"secret"`
	// Ceiling caps what the key's shoppers do together on the routes with
	// per-client limits (registrations, sign-ins, resends, resets,
	// guests), so a leaked key cannot lift every limit.
	Ceiling Limit `json:"ceiling"`
}

// MaxServerKeys is how many keys may be live at once.
const MaxServerKeys = 2

// DefaultServerKeyCeiling is a key's ceiling when the settings give it by
// reference alone.
var DefaultServerKeyCeiling = Limit{Max: 10000, Window: Duration(time.Hour)}

// UnmarshalJSON takes a key as an object or as its reference alone
// ("ssm:/shop/ssr-key"), which gets an id from its place in the list and
// DefaultServerKeyCeiling.
func (k *ServerKey) UnmarshalJSON(b []byte) error {
	var ref string
	if json.Unmarshal(b, &ref) == nil {
		*k = ServerKey{Secret: ref, Ceiling: DefaultServerKeyCeiling}
		return nil
	}
	type plain ServerKey
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*k = ServerKey(p)
	return nil
}

// SecretRef splits Secret into its scheme and name.
func (d DeviceTrust) SecretRef() (scheme, name string) {
	scheme, name, _ = strings.Cut(d.Secret, ":")
	return scheme, name
}

// ClientLimits cap the requests one client address makes to the routes that
// can be abused without an account (429 too_many_requests with Retry-After).
// A storefront that calls from its own servers is one client: raise them or
// set max 0 there.
type ClientLimits struct {
	Register Limit `json:"register"`
	SignIn   Limit `json:"signIn"`
	Resend   Limit `json:"resend"`
	// PasswordReset caps POST /v1/password-resets.
	PasswordReset Limit `json:"passwordReset"`
	// Guests caps the guests one client creates.
	Guests Limit `json:"guests"`
}

// URLs are the public addresses mails and redirects point at.
type URLs struct {
	// PublicAPI is the base URL of this API as customers reach it; mailed
	// links start with it.
	PublicAPI string `json:"publicApi"`
	// Storefront is the base URL of the shop; the confirm page sends the
	// customer to its LoginPath.
	Storefront string `json:"storefront"`
	LoginPath  string `json:"loginPath"`
	// AccountPath is where a customer lands after confirming the address
	// when the registration carried no local returnUrl ("" is the
	// storefront's root).
	AccountPath string `json:"accountPath"`
	// AllowedOrigins may call the API from a browser (CORS), besides the
	// storefront's own origin.
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
}

// BrowserOrigins is every origin allowed to call the API from a browser:
// the storefront's and AllowedOrigins.
func (u URLs) BrowserOrigins() []string {
	out := []string{originOf(u.Storefront)}
	for _, o := range u.AllowedOrigins {
		if !contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func originOf(raw string) string {
	p, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// Settings is the whole document.
type Settings struct {
	// Schema names the document's JSON Schema (infra/settings.schema.json)
	// for editors; the service ignores it.
	Schema string `json:"$schema,omitempty"`

	StoreName        string           `json:"storeName"`
	DefaultStoreID   string           `json:"defaultStoreId"`
	DefaultLanguage  string           `json:"defaultLanguage"`
	Languages        []string         `json:"languages"`
	RegistrationType RegistrationType `json:"registrationType"`
	UsernamesEnabled bool             `json:"usernamesEnabled"`
	Fields           map[string]Field `json:"fields"`
	// AcceptPrivacyPolicy makes the storefront show a privacy policy box
	// the customer must tick.
	AcceptPrivacyPolicy bool             `json:"acceptPrivacyPolicy"`
	Consents            []Consent        `json:"consents"`
	Newsletters         []NewsletterType `json:"newsletters"`
	Attributes          []Attribute      `json:"attributes"`
	Captcha             *Captcha         `json:"captcha"`
	// AddressFields are the profile fields that make a complete address:
	// a registration that fills them all (each enabled) stores them as
	// the customer's first address and default billing and shipping
	// address. Empty turns default addresses off.
	AddressFields []string `json:"addressFields"`

	PasswordPolicy  password.Policy `json:"passwordPolicy"`
	PasswordHashing password.Params `json:"passwordHashing"`
	// SignInThrottle and ClientLimits stop guessing and flooding.
	SignInThrottle SignInThrottle `json:"signInThrottle"`
	ClientLimits   ClientLimits   `json:"clientLimits"`
	// DeviceTrust lets owners past the per-login gate (see DeviceTrust).
	DeviceTrust DeviceTrust `json:"deviceTrust"`
	// ServerKeys are the keys of server-side storefronts (X-Storefront-Key;
	// at most two, so that one can be rotated while the other is live).
	ServerKeys []ServerKey `json:"serverKeys,omitempty"`
	// RevealAccountState makes sign-in with a right password on an
	// unverified or unapproved account answer 403 email_not_verified or
	// pending_approval instead of 401 invalid_credentials. It helps
	// customers and lets anyone who registers an address with a password
	// of their own learn whether the address had an account: off by default.
	RevealAccountState bool `json:"revealAccountState"`
	// NamePattern is what first and last names may hold (a Go regular
	// expression, matched against the whole trimmed name).
	NamePattern string `json:"namePattern"`

	VerificationTokenLifetime Duration `json:"verificationTokenLifetime"`
	// UnverifiedAccountLifetime is how long an account that never confirmed
	// its address is kept; then it is gone and its address and username are
	// free again.
	UnverifiedAccountLifetime Duration `json:"unverifiedAccountLifetime"`
	SessionLifetime           Duration `json:"sessionLifetime"`
	RememberMeLifetime        Duration `json:"rememberMeLifetime"`
	// PasswordResetLifetime is how long a password-reset link works;
	// EmailChangeLifetime how long the link confirming a new address does.
	PasswordResetLifetime Duration `json:"passwordResetLifetime"`
	EmailChangeLifetime   Duration `json:"emailChangeLifetime"`

	URLs URLs `json:"urls"`
	// MailFrom is the sender of customer mails; it must be an SES identity.
	MailFrom string `json:"mailFrom"`
	// StoreOwnerEmail receives notifications when NotifyStoreOwner is set,
	// in StoreOwnerLanguage (the default language when empty).
	StoreOwnerEmail    string `json:"storeOwnerEmail"`
	NotifyStoreOwner   bool   `json:"notifyStoreOwner"`
	StoreOwnerLanguage string `json:"storeOwnerLanguage"`
	// Guests and Cart shape the customer context of shoppers without an
	// account.
	Guests Guests `json:"guests"`
	Cart   Cart   `json:"cart"`
	// EventBusName is the EventBridge bus the customer events go to; the
	// stack creates it.
	EventBusName string `json:"eventBusName"`
	// Resend limits POST /v1/verify-email/resend; its interval also
	// spaces password-reset mails to one address.
	Resend Resend `json:"resend"`
	// Vat is the EU VAT number check.
	Vat Vat `json:"vat"`
}

// Vat turns on the EU VAT number check: the number's structure per member
// state at registration, then VIES off the request path.
type Vat struct {
	// EUVat checks vatNumber as an EU VAT number (the field must be
	// enabled).
	EUVat bool `json:"euVat"`
	// ViesURL is the VIES REST API's base URL.
	ViesURL string `json:"viesUrl"`
	// Timeout bounds one VIES call.
	Timeout Duration `json:"timeout"`
	// NotifyStoreOwner mails the store owner each new VAT number with
	// what VIES said of it.
	NotifyStoreOwner bool `json:"notifyStoreOwner"`
}

// DefaultViesURL is the European Commission's VIES REST API.
const DefaultViesURL = "https://ec.europa.eu/taxation_customs/vies/rest-api"

// Guests are shoppers without an account.
type Guests struct {
	// Lifetime is how long a guest lasts without being seen.
	Lifetime Duration `json:"lifetime"`
}

// Cart bounds carts and says how a guest's joins a customer's.
type Cart struct {
	MaxQuantity int    `json:"maxQuantity"`
	MaxLines    int    `json:"maxLines"`
	SKUPattern  string `json:"skuPattern"`
	// MergeStrategy is sum (capped at MaxQuantity), max, replace or
	// keep-customer.
	MergeStrategy string `json:"mergeStrategy"`
}

// SKURegexp is the compiled SKU pattern (valid after Validate), matched
// against the whole SKU.
func (c Cart) SKURegexp() *regexp.Regexp {
	return regexp.MustCompile(`^(?:` + c.SKUPattern + `)$`)
}

// Resend throttles new verification links per address (per client:
// ClientLimits.Resend).
type Resend struct {
	// Interval is the least time between two links mailed to one address.
	Interval Duration `json:"interval"`
}

// DefaultNamePattern admits letters, combining marks, spaces, apostrophes,
// hyphens and dots: every script's names, and no digits, punctuation or
// symbols to phrase a message with.
const DefaultNamePattern = `^[\p{L}\p{M}][\p{L}\p{M} '’.\-]*$`

var namePatterns sync.Map // pattern text -> *regexp.Regexp

// NameRegexp returns the compiled NamePattern (Validate has checked it
// compiles; an uncompilable one matches nothing).
func (s Settings) NameRegexp() *regexp.Regexp {
	if re, ok := namePatterns.Load(s.NamePattern); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(s.NamePattern)
	if err != nil {
		re = regexp.MustCompile(`^\b\B$`) // matches nothing
	}
	namePatterns.Store(s.NamePattern, re)
	return re
}

// Default returns the settings an operator gets without writing any: the seed
// system's customer settings, double opt-in, OWASP's argon2id parameters.
func Default() Settings {
	return Settings{
		StoreName:        "Our store",
		DefaultStoreID:   "default",
		DefaultLanguage:  "en",
		Languages:        []string{"en", "de"},
		RegistrationType: EmailValidation,
		UsernamesEnabled: false,
		Fields: map[string]Field{
			FirstName:   {Enabled: true, Required: true},
			LastName:    {Enabled: true, Required: true},
			Gender:      {Enabled: true},
			DateOfBirth: {Enabled: true},
			Company:     {Enabled: true},
		},
		Newsletters: []NewsletterType{{ID: "general", Name: "Newsletter", TickedByDefault: true}},
		// The seed system's address settings: these are required of an
		// address (a store enables them as profile fields to collect one).
		AddressFields:   []string{FirstName, LastName, StreetAddress, ZipPostalCode, City, CountryCode, Phone},
		PasswordPolicy:  password.DefaultPolicy(),
		PasswordHashing: password.OWASPParams(),
		// The seed system ships with lockout off; the contract promises
		// 429, so one client gets 5 tries per login in 15 minutes.
		SignInThrottle: SignInThrottle{
			PerLoginAndClient: Limit{Max: 5, Window: Duration(15 * time.Minute)},
			PerClient:         Limit{Max: 20, Window: Duration(time.Hour)},
			PerLogin:          Limit{Max: 20, Window: Duration(15 * time.Minute)},
			Slowdown:          Duration(3 * time.Second),
		},
		// OWASP's device cookie: half a year, ten devices a login, five
		// failures and a device is trusted no more.
		DeviceTrust: DeviceTrust{Lifetime: Duration(180 * 24 * time.Hour), MaxPerLogin: 10, MaxFailures: 5},
		ClientLimits: ClientLimits{
			Register: Limit{Max: 30, Window: Duration(time.Hour)},
			SignIn:   Limit{Max: 100, Window: Duration(10 * time.Minute)},
			Resend:   Limit{Max: 30, Window: Duration(time.Hour)},
			// A reset request costs a mail; a person needs a few.
			PasswordReset: Limit{Max: 10, Window: Duration(time.Hour)},
			Guests:        Limit{Max: 100, Window: Duration(time.Hour)},
		},
		NamePattern:               DefaultNamePattern,
		VerificationTokenLifetime: Duration(24 * time.Hour),
		UnverifiedAccountLifetime: Duration(7 * 24 * time.Hour),
		SessionLifetime:           Duration(24 * time.Hour),
		RememberMeLifetime:        Duration(30 * 24 * time.Hour),
		PasswordResetLifetime:     Duration(time.Hour),
		EmailChangeLifetime:       Duration(24 * time.Hour),
		URLs: URLs{
			PublicAPI:   "http://127.0.0.1:8080",
			Storefront:  "http://127.0.0.1:8080",
			LoginPath:   "/login",
			AccountPath: "/account",
		},
		Guests:       Guests{Lifetime: Duration(30 * 24 * time.Hour)},
		Cart:         Cart{MaxQuantity: 99, MaxLines: 100, SKUPattern: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, MergeStrategy: "sum"},
		MailFrom:     "no-reply@example.com",
		EventBusName: "customer-events",
		Resend:       Resend{Interval: Duration(60 * time.Second)},
		Vat:          Vat{ViesURL: DefaultViesURL, Timeout: Duration(10 * time.Second)},
	}
}

// Parse reads a settings document over the defaults: keys the document leaves
// out keep their default, unknown keys are an error (a typo must not silently
// fall back to a default), and the result is validated.
func Parse(doc []byte) (Settings, error) {
	s := Default()
	if len(strings.TrimSpace(string(doc))) > 0 {
		// encoding/json decodes an array into the slice's existing
		// elements, so a document's first newsletter would inherit the
		// default newsletter's fields (and come out pre-ticked). A document
		// that lists newsletters therefore starts from an empty list.
		var probe struct {
			Newsletters json.RawMessage `json:"newsletters"`
		}
		if json.Unmarshal(doc, &probe) == nil && probe.Newsletters != nil {
			s.Newsletters = nil
		}
		var addr struct {
			AddressFields json.RawMessage `json:"addressFields"`
		}
		if json.Unmarshal(doc, &addr) == nil && addr.AddressFields != nil {
			s.AddressFields = nil // a document's list replaces the default's
		}
		dec := json.NewDecoder(strings.NewReader(string(doc)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return Settings{}, fmt.Errorf("settings: %w", err)
		}
		if dec.More() {
			return Settings{}, errors.New("settings: trailing data after the JSON document")
		}
	}
	if c := s.Captcha; c != nil {
		if c.Timeout == 0 {
			c.Timeout = DefaultCaptchaTimeout
		}
		if c.Provider == RecaptchaV3 && c.MinScore == 0 {
			c.MinScore = DefaultCaptchaMinScore // Google's suggested start
		}
	}
	for i := range s.ServerKeys {
		if s.ServerKeys[i].ID == "" {
			s.ServerKeys[i].ID = fmt.Sprintf("key%d", i+1)
		}
	}
	// Links are built by appending paths; a trailing slash would double.
	s.URLs.PublicAPI = strings.TrimRight(s.URLs.PublicAPI, "/")
	s.URLs.Storefront = strings.TrimRight(s.URLs.Storefront, "/")
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// busPattern is what EventBridge accepts as a custom bus name.
var busPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
var langPattern = regexp.MustCompile(`^[a-z]{2,3}$`)

// problems collects what is wrong with a document, each naming its key.
type problems []error

func (p *problems) bad(key, format string, a ...any) {
	*p = append(*p, fmt.Errorf("settings.%s: %s", key, fmt.Sprintf(format, a...)))
}

// Validate lists every problem with the document, each naming its key: the
// rules infra/settings.schema.json states and those a schema cannot (a
// required field must be enabled, a notifying store needs an owner address,
// and the like). One method per section of the document.
func (s Settings) Validate() error {
	var p problems
	s.validateStore(&p)
	s.validateForm(&p)
	s.validateSecurity(&p)
	s.validateLifetimes(&p)
	s.validateURLs(&p)
	s.validateMail(&p)
	return errors.Join(p...)
}

// validateStore checks the store's name, id, registration type and
// languages.
func (s Settings) validateStore(p *problems) {
	if strings.TrimSpace(s.StoreName) == "" {
		p.bad("storeName", "must not be empty")
	}
	if time.Duration(s.Guests.Lifetime) < 24*time.Hour || time.Duration(s.Guests.Lifetime) > 365*24*time.Hour {
		p.bad("guests.lifetime", "must be between 24h and 8760h, got %s", time.Duration(s.Guests.Lifetime))
	}
	if s.Cart.MaxQuantity < 1 || s.Cart.MaxQuantity > 10000 {
		p.bad("cart.maxQuantity", "must be between 1 and 10000, got %d", s.Cart.MaxQuantity)
	}
	if s.Cart.MaxLines < 1 || s.Cart.MaxLines > 500 {
		p.bad("cart.maxLines", "must be between 1 and 500, got %d", s.Cart.MaxLines)
	}
	if _, err := regexp.Compile(s.Cart.SKUPattern); err != nil || s.Cart.SKUPattern == "" {
		p.bad("cart.skuPattern", "must be a regular expression, got %q", s.Cart.SKUPattern)
	}
	switch s.Cart.MergeStrategy {
	case "sum", "max", "replace", "keep-customer":
	default:
		p.bad("cart.mergeStrategy", "must be sum, max, replace or keep-customer, got %q", s.Cart.MergeStrategy)
	}
	if !busPattern.MatchString(s.EventBusName) {
		p.bad("eventBusName", "must be 1-256 letters, digits, '.', '-' or '_', got %q", s.EventBusName)
	}
	if !idPattern.MatchString(s.DefaultStoreID) {
		p.bad("defaultStoreId", "must be 1-64 letters, digits, '_', '.' or '-', got %q", s.DefaultStoreID)
	}
	if !s.RegistrationType.valid() {
		p.bad("registrationType", "must be one of Standard, EmailValidation, AdminApproval, Disabled; got %q", s.RegistrationType)
	}
	if len(s.Languages) == 0 {
		p.bad("languages", "must list at least one language")
	}
	for _, l := range s.Languages {
		if !langPattern.MatchString(l) {
			p.bad("languages", "%q is not a lower-case ISO 639 language code", l)
		}
	}
	if !contains(s.Languages, s.DefaultLanguage) {
		p.bad("defaultLanguage", "%q must be one of languages %v", s.DefaultLanguage, s.Languages)
	}
}

// validateForm checks what the registration form shows: profile fields,
// consents, newsletters, attributes and CAPTCHA.
func (s Settings) validateForm(p *problems) {
	for name, f := range s.Fields {
		if !contains(ProfileFields, name) {
			p.bad("fields."+name, "is not a profile field (known: %s)", strings.Join(ProfileFields, ", "))
		}
		if f.Required && !f.Enabled {
			p.bad("fields."+name, "cannot be required while disabled")
		}
	}
	if s.Fields[StateProvince].Enabled && !s.Fields[CountryCode].Enabled {
		p.bad("fields.stateProvince", "needs countryCode enabled")
	}
	for i, name := range s.AddressFields {
		if !contains(AddressFieldNames, name) || slices.Index(s.AddressFields, name) != i {
			p.bad(fmt.Sprintf("addressFields[%d]", i), "must be one of %s, each once; got %q", strings.Join(AddressFieldNames, ", "), name)
		}
	}
	seen := map[string]bool{}
	unique := func(key, kind, id string) {
		if !idPattern.MatchString(id) || seen[kind+id] {
			p.bad(key+".id", "must be a unique id of letters, digits, '_', '.' or '-', got %q", id)
		}
		seen[kind+id] = true
	}
	for i, c := range s.Consents {
		key := fmt.Sprintf("consents[%d]", i)
		unique(key, "c", c.ID)
		if c.ID == ReservedPrivacyConsent || c.ID == ReservedNewsletterConsent {
			p.bad(key+".id", "%q is reserved for the consent log's own entries", c.ID)
		}
		if strings.TrimSpace(c.Message) == "" {
			p.bad(key+".message", "must not be empty")
		}
	}
	for i, n := range s.Newsletters {
		key := fmt.Sprintf("newsletters[%d]", i)
		unique(key, "n", n.ID)
		if strings.TrimSpace(n.Name) == "" {
			p.bad(key+".name", "must not be empty")
		}
	}
	for i, a := range s.Attributes {
		key := fmt.Sprintf("attributes[%d]", i)
		unique(key, "a", a.ID)
		switch a.Type {
		case AttributeText, AttributeCheckbox:
			if len(a.Values) > 0 {
				p.bad(key+".values", "only dropdown attributes have values")
			}
		case AttributeDropdown:
			if len(a.Values) == 0 {
				p.bad(key+".values", "a dropdown needs at least one value")
			}
		default:
			p.bad(key+".type", "must be text, dropdown or checkbox, got %q", a.Type)
		}
	}
	if s.Captcha != nil {
		s.Captcha.validate(p)
		if s.Captcha.On.SignIn && !s.SignInThrottle.PerLogin.On() {
			p.bad("captcha.on.signIn", "asks for a CAPTCHA once a login fails past signInThrottle.perLogin, which is off")
		}
	}
}

var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// validate checks a CAPTCHA's provider, keys, endpoint and bounds.
func (c Captcha) validate(p *problems) {
	if !contains(CaptchaProviders, c.Provider) {
		p.bad("captcha.provider", "must be one of %s, got %q", strings.Join(CaptchaProviders, ", "), c.Provider)
	}
	if strings.TrimSpace(c.SiteKey) == "" || len(c.SiteKey) > 200 {
		p.bad("captcha.siteKey", "must be the provider's site key (1-200 characters)")
	}
	validSecretRef(p, "captcha.secret", c.Secret)
	if c.VerifyURL != "" {
		u, err := url.Parse(c.VerifyURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
			p.bad("captcha.verifyUrl", "must be an absolute http(s) URL, got %q", c.VerifyURL)
		}
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
	if c.Timeout < Duration(100*time.Millisecond) || time.Duration(c.Timeout) > 10*time.Second {
		p.bad("captcha.timeout", "must be between 100ms and 10s, got %s", time.Duration(c.Timeout))
	}
	if c.On == (CaptchaOn{}) {
		p.bad("captcha.on", "must name at least one of registration, signIn, passwordReset, resend")
	}
}

// serverKeyID is what a server key's id may be.
var serverKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// validSecretRef checks a reference to where a secret is kept.
func validSecretRef(p *problems, key, ref string) {
	scheme, name, _ := strings.Cut(ref, ":")
	switch {
	case name == "" || strings.TrimSpace(name) != name:
		p.bad(key, "must name where the secret key is kept: ssm:<parameter>, secretsmanager:<secret> or file:<path>; got %q", ref)
	case scheme == SecretSSM && !strings.HasPrefix(name, "/") && strings.Contains(name, "/"):
		p.bad(key, "an SSM parameter in a path starts with '/', got %q", name)
	case scheme != SecretSSM && scheme != SecretSecretsManager && scheme != SecretFile:
		p.bad(key, "must start with ssm:, secretsmanager: or file: (the secret itself never goes here), got %q", scheme+":…")
	}
}

// validateSecurity checks the password rules, the hashing parameters, the
// throttles and the name pattern.
func (s Settings) validateSecurity(p *problems) {
	if err := s.PasswordPolicy.Validate(); err != nil {
		p.bad("passwordPolicy", "%v", err)
	}
	if err := s.PasswordHashing.Validate(); err != nil {
		p.bad("passwordHashing", "%v", err)
	}
	t := s.SignInThrottle
	t.PerLoginAndClient.validate("signInThrottle.perLoginAndClient", p.bad)
	t.PerClient.validate("signInThrottle.perClient", p.bad)
	t.PerLogin.validate("signInThrottle.perLogin", p.bad)
	if t.PerLogin.On() && (t.Slowdown < Duration(time.Second) || time.Duration(t.Slowdown) > time.Minute) {
		p.bad("signInThrottle.slowdown", "must be between 1s and 1m when perLogin is set, got %s", time.Duration(t.Slowdown))
	}
	d := s.DeviceTrust
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
	s.ClientLimits.Register.validate("clientLimits.register", p.bad)
	s.ClientLimits.SignIn.validate("clientLimits.signIn", p.bad)
	s.ClientLimits.Resend.validate("clientLimits.resend", p.bad)
	s.ClientLimits.PasswordReset.validate("clientLimits.passwordReset", p.bad)
	s.ClientLimits.Guests.validate("clientLimits.guests", p.bad)
	if len(s.ServerKeys) > MaxServerKeys {
		p.bad("serverKeys", "at most %d keys may be live at once (one to rotate to), got %d", MaxServerKeys, len(s.ServerKeys))
	}
	ids := map[string]bool{}
	for i, k := range s.ServerKeys {
		key := fmt.Sprintf("serverKeys[%d]", i)
		if !serverKeyID.MatchString(k.ID) || ids[k.ID] {
			p.bad(key+".id", "must be a distinct name of 1-32 letters, digits, '-' or '_', got %q", k.ID)
		}
		ids[k.ID] = true
		validSecretRef(p, key+".secret", k.Secret)
		if !k.Ceiling.On() {
			p.bad(key+".ceiling", "must cap the key's requests (max > 0): a key without a ceiling would lift every per-client limit")
		}
		k.Ceiling.validate(key+".ceiling", p.bad)
	}
	if _, err := regexp.Compile(s.NamePattern); err != nil || s.NamePattern == "" {
		p.bad("namePattern", "must be a regular expression, got %q", s.NamePattern)
	}
}

// validateLifetimes checks how long links, unverified accounts and
// sessions last.
func (s Settings) validateLifetimes(p *problems) {
	positive := func(key string, d Duration, max time.Duration) {
		if d <= 0 || time.Duration(d) > max {
			p.bad(key, "must be between 1s and %s, got %s", max, time.Duration(d))
		}
	}
	positive("verificationTokenLifetime", s.VerificationTokenLifetime, 30*24*time.Hour)
	positive("unverifiedAccountLifetime", s.UnverifiedAccountLifetime, 90*24*time.Hour)
	if s.UnverifiedAccountLifetime < s.VerificationTokenLifetime {
		p.bad("unverifiedAccountLifetime", "must not be shorter than verificationTokenLifetime")
	}
	positive("sessionLifetime", s.SessionLifetime, 365*24*time.Hour)
	positive("rememberMeLifetime", s.RememberMeLifetime, 365*24*time.Hour)
	positive("passwordResetLifetime", s.PasswordResetLifetime, 24*time.Hour)
	positive("emailChangeLifetime", s.EmailChangeLifetime, 7*24*time.Hour)
}

// validateURLs checks the public API's and the storefront's addresses, the
// allowed origins and the storefront's paths.
func (s Settings) validateURLs(p *problems) {
	for _, k := range [][2]string{{"urls.publicApi", s.URLs.PublicAPI}, {"urls.storefront", s.URLs.Storefront}} {
		u, err := url.Parse(k[1])
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			p.bad(k[0], "must be an absolute http(s) URL without query or fragment, got %q", k[1])
		}
	}
	for i, o := range s.URLs.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || originOf(o) != o {
			p.bad(fmt.Sprintf("urls.allowedOrigins[%d]", i), "must be an origin such as https://shop.example (no path), got %q", o)
		}
	}
	for _, k := range [][2]string{{"urls.loginPath", s.URLs.LoginPath}, {"urls.accountPath", s.URLs.AccountPath}} {
		if k[0] == "urls.accountPath" && k[1] == "" {
			continue // the storefront's root
		}
		if !redirect.IsLocal(k[1]) || redirect.Local(k[1]) != k[1] || strings.ContainsAny(k[1], "?#") {
			p.bad(k[0], "must be a path starting with a single '/', got %q", k[1])
		}
	}
}

// validateMail checks the sender, the store owner's notices and the resend
// interval.
func (s Settings) validateMail(p *problems) {
	if !plainAddress(s.MailFrom) {
		p.bad("mailFrom", "must be a plain email address, got %q", s.MailFrom)
	}
	if s.StoreOwnerLanguage != "" && !contains(s.Languages, s.StoreOwnerLanguage) {
		p.bad("storeOwnerLanguage", "%q must be one of languages %v", s.StoreOwnerLanguage, s.Languages)
	}
	if s.Resend.Interval < Duration(time.Second) || time.Duration(s.Resend.Interval) > 24*time.Hour {
		p.bad("resend.interval", "must be between 1s and 24h, got %s", time.Duration(s.Resend.Interval))
	}
	if s.NotifyStoreOwner && !plainAddress(s.StoreOwnerEmail) {
		p.bad("storeOwnerEmail", "must be a plain email address when notifyStoreOwner is on, got %q", s.StoreOwnerEmail)
	}
	v := s.Vat
	if v.EUVat && !s.Fields[VatNumber].Enabled {
		p.bad("vat.euVat", "needs fields.vatNumber enabled")
	}
	if v.NotifyStoreOwner && !plainAddress(s.StoreOwnerEmail) {
		p.bad("storeOwnerEmail", "must be a plain email address when vat.notifyStoreOwner is on, got %q", s.StoreOwnerEmail)
	}
	if u, err := url.Parse(v.ViesURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		p.bad("vat.viesUrl", "must be an absolute http(s) URL without query, got %q", v.ViesURL)
	}
	if v.Timeout < Duration(time.Second) || time.Duration(v.Timeout) > 30*time.Second {
		p.bad("vat.timeout", "must be between 1s and 30s, got %s", time.Duration(v.Timeout))
	}
}

// OwnerLanguage is the language of store-owner notifications.
func (s Settings) OwnerLanguage() string {
	if s.StoreOwnerLanguage != "" {
		return s.StoreOwnerLanguage
	}
	return s.DefaultLanguage
}

// Field returns the setting of a profile field (disabled when unset).
func (s Settings) Field(name string) Field { return s.Fields[name] }

// Language picks the first of the customer's preferred languages the store
// supports, falling back to the store default.
func (s Settings) Language(preferred []string) string {
	var prefs []language.Tag
	for _, p := range preferred {
		if t, err := language.Parse(strings.ReplaceAll(p, "_", "-")); err == nil && t != language.Und {
			prefs = append(prefs, t)
		}
	}
	if len(prefs) == 0 {
		return s.DefaultLanguage
	}
	// x/text's matcher knows regional and script fallbacks (de-AT is de,
	// zh-TW is zh-Hant, nn reads nb); the default goes first, as the
	// matcher's answer when nothing matches.
	m := matcherFor(s.DefaultLanguage, s.Languages)
	// Only a sure match (exact or a close relative) counts: a low one
	// would mail a Taiwanese reader in simplified Chinese.
	_, i, conf := m.matcher.Match(prefs...)
	if conf < language.High {
		return s.DefaultLanguage
	}
	return m.names[i]
}

// languageMatcher is a store's languages, the default first, and x/text's
// matcher over them.
type languageMatcher struct {
	names   []string
	matcher language.Matcher
}

// matchers caches one matcher per set of languages: a process serves one
// settings document, so this is built once, not per request.
var matchers sync.Map

func matcherFor(def string, languages []string) languageMatcher {
	key := def + "|" + strings.Join(languages, ",")
	if m, ok := matchers.Load(key); ok {
		return m.(languageMatcher)
	}
	names := []string{def}
	for _, l := range languages {
		if l != def {
			names = append(names, l)
		}
	}
	supported := make([]language.Tag, len(names))
	for i, n := range names {
		supported[i] = language.Make(n)
	}
	m := languageMatcher{names: names, matcher: language.NewMatcher(supported)}
	matchers.Store(key, m)
	return m
}

func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
