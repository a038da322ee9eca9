package settings

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/openreg/registration/internal/redirect"
)

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
