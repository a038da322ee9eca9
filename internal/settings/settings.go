// Package settings is the store's registration settings document: one typed,
// validated JSON document that the operator writes and every function reads
// unchanged. Defaults follow the seed shop system (nopCommerce) except where
// the v1 contract says otherwise (double opt-in by default, a lockout that
// exists). Nothing here reads the environment; config loads the document and
// infra validates it at synth time with the same Validate.
//
// settings.go holds the document (Settings), its defaults, Parse and Validate.
// Each section of the document has a file of its own with its types, their
// constants and its check, which Validate calls in the order of Settings:
// store.go (storeName, defaultStoreId, registrationType, eventBusName),
// languages.go, fields.go (fields, addressFields, namePattern), consents.go
// (consents, newsletters, attributes), captcha.go, passwords.go,
// throttles.go (signInThrottle, clientLimits), devicetrust.go,
// serverkeys.go, lifetimes.go (the *Lifetime keys), urls.go, mail.go
// (mailFrom, the store owner's notices, resend), cart.go (guests, cart),
// vat.go and emailchecks.go. Shared by several: duration.go (Duration),
// secrets.go (the ssm:, secretsmanager: and file: references) and
// problems.go (the checks' helpers).
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/openreg/registration/internal/password"
)

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
	Codes          Codes          `json:"codes"`
	SignIn         SignIn         `json:"signIn"`
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
	// EmailChecks refuse disposable addresses, or domains without mail
	// records, at registration and address change.
	EmailChecks EmailChecks `json:"emailChecks"`
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
			// A person types a code or two; a shop behind one address, more.
			Codes:       Limit{Max: 30, Window: Duration(time.Hour)},
			EmailChecks: Limit{Max: 300, Window: Duration(time.Hour)},
		},
		Codes:                     Codes{PerStore: Limit{Max: 5000, Window: Duration(time.Hour)}},
		SignIn:                    SignIn{EmailCodes: true},
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
		EmailChecks:  EmailChecks{Disposable: DisposableAllow, Timeout: Duration(1500 * time.Millisecond)},
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
		// The same goes for the address fields: a document's list
		// replaces the default's.
		var probe struct {
			Newsletters   json.RawMessage `json:"newsletters"`
			AddressFields json.RawMessage `json:"addressFields"`
		}
		if json.Unmarshal(doc, &probe) == nil {
			if probe.Newsletters != nil {
				s.Newsletters = nil
			}
			if probe.AddressFields != nil {
				s.AddressFields = nil
			}
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
	if s.Captcha != nil {
		s.Captcha.fillDefaults()
	}
	nameServerKeys(s.ServerKeys)
	// Links are built by appending paths; a trailing slash would double.
	s.URLs.PublicAPI = strings.TrimRight(s.URLs.PublicAPI, "/")
	s.URLs.Storefront = strings.TrimRight(s.URLs.Storefront, "/")
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Validate lists every problem with the document, each naming its key: the
// rules infra/settings.schema.json states and those a schema cannot (a
// required field must be enabled, a notifying store needs an owner address,
// and the like). Each section of the document is checked in its own file,
// in the order of the Settings type.
func (s Settings) Validate() error {
	var p problems
	s.validateStore(&p)
	s.validateLanguages(&p)
	s.validateFields(&p)
	s.validateConsents(&p)
	s.validateCaptcha(&p)
	s.validatePasswords(&p)
	s.SignInThrottle.validate(&p)
	s.ClientLimits.validate(&p)
	s.Codes.PerStore.validate(&p, "codes.perStore")
	s.DeviceTrust.validate(&p)
	validateServerKeys(s.ServerKeys, &p)
	s.validateLifetimes(&p)
	s.URLs.validate(&p)
	s.validateMail(&p)
	s.Guests.validate(&p)
	s.Cart.validate(&p)
	s.validateVat(&p)
	s.EmailChecks.validate(&p)
	return errors.Join(p...)
}

// idPattern is what a store's, a consent's, a newsletter's and an
// attribute's id may be.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
