package settings_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/settings"
)

// parse parses doc and fails the test on error.
func parse(t *testing.T, doc string) settings.Settings {
	t.Helper()
	s, err := settings.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return s
}

// parseErr parses doc, which must fail, and returns the error text.
func parseErr(t *testing.T, doc string) string {
	t.Helper()
	s, err := settings.Parse([]byte(doc))
	if err == nil {
		t.Fatalf("Parse(%s) = nil error, want one", doc)
	}
	if !reflect.DeepEqual(s, settings.Settings{}) {
		t.Errorf("Parse(%s) returned non-zero settings along with error %v", doc, err)
	}
	return err.Error()
}

func TestDefaultIsValid(t *testing.T) {
	if err := settings.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
}

func TestDefaultValues(t *testing.T) {
	d := settings.Default()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"registration defaults to double opt-in", d.RegistrationType, settings.EmailValidation},
		{"hashing defaults to OWASP's argon2id parameters", d.PasswordHashing, password.OWASPParams()},
		{"the password policy defaults to the seed system's", d.PasswordPolicy, password.DefaultPolicy()},
		{"the sign-in throttle is on by default", d.SignInThrottle.PerLoginAndClient.On() && d.SignInThrottle.PerClient.On() && d.SignInThrottle.PerLogin.On(), true},
		{"account states stay hidden by default", d.RevealAccountState, false},
		{"unverified accounts live a week", time.Duration(d.UnverifiedAccountLifetime), 7 * 24 * time.Hour},
		{"no CAPTCHA is configured by default", d.Captcha == nil, true},
		{"verification links live a day", time.Duration(d.VerificationTokenLifetime), 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestDefaultReturnsIndependentCopies(t *testing.T) {
	a := settings.Default()
	a.Fields[settings.Company] = settings.Field{Enabled: true, Required: true}
	a.Languages[0] = "fr"
	a.Newsletters[0].TickedByDefault = false
	if b := settings.Default(); !b.Field(settings.Company).Enabled || b.Field(settings.Company).Required ||
		b.Languages[0] != "en" || !b.Newsletters[0].TickedByDefault {
		t.Errorf("changing one Default() changed the next: %+v", b)
	}
}

func TestParseEmptyIsDefault(t *testing.T) {
	for _, doc := range []string{"", "   \n\t", "{}"} {
		t.Run("the document "+strconvQuote(doc)+" gives the defaults", func(t *testing.T) {
			if got, want := parse(t, doc), settings.Default(); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", doc, got, want)
			}
		})
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestParsePartialDocumentKeepsOtherDefaults(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		edit func(*settings.Settings) // applied to Default() to get the expected result
	}{
		{
			"a top-level key replaces only that key",
			`{"storeName": "Ada's Shop", "registrationType": "Standard"}`,
			func(s *settings.Settings) { s.StoreName = "Ada's Shop"; s.RegistrationType = settings.Standard },
		},
		{
			"a nested object keeps its unlisted keys",
			`{"signInThrottle": {"perClient": {"max": 3}}}`,
			func(s *settings.Settings) { s.SignInThrottle.PerClient.Max = 3 },
		},
		{
			"a password policy keeps its unlisted lengths",
			`{"passwordPolicy": {"requireDigit": true}}`,
			func(s *settings.Settings) { s.PasswordPolicy.RequireDigit = true },
		},
		{
			"urls keep the unlisted addresses",
			`{"urls": {"publicApi": "https://api.shop.example"}}`,
			func(s *settings.Settings) { s.URLs.PublicAPI = "https://api.shop.example" },
		},
		{
			"a listed field replaces that field and keeps the others",
			`{"fields": {"company": {"enabled": true, "required": true}, "phone": {"enabled": true}}}`,
			func(s *settings.Settings) {
				s.Fields[settings.Company] = settings.Field{Enabled: true, Required: true}
				s.Fields[settings.Phone] = settings.Field{Enabled: true}
			},
		},
		{
			"a listed field's unlisted flags are off, not inherited",
			`{"fields": {"firstName": {"enabled": true}}}`,
			func(s *settings.Settings) { s.Fields[settings.FirstName] = settings.Field{Enabled: true} },
		},
		{
			"a language list replaces the default list",
			`{"languages": ["de"], "defaultLanguage": "de"}`,
			func(s *settings.Settings) { s.Languages = []string{"de"}; s.DefaultLanguage = "de" },
		},
		{
			"durations are read as Go duration text",
			`{"sessionLifetime": "90m"}`,
			func(s *settings.Settings) { s.SessionLifetime = settings.Duration(90 * time.Minute) },
		},
		{
			"a newsletter list replaces the default newsletters without inheriting their fields",
			`{"newsletters": [{"id": "offers", "name": "Offers"}]}`,
			func(s *settings.Settings) { s.Newsletters = []settings.NewsletterType{{ID: "offers", Name: "Offers"}} },
		},
		{
			"a longer newsletter list keeps each entry as written",
			`{"newsletters": [{"id": "a", "name": "A"}, {"id": "b", "name": "B", "tickedByDefault": true}]}`,
			func(s *settings.Settings) {
				s.Newsletters = []settings.NewsletterType{{ID: "a", Name: "A"}, {ID: "b", Name: "B", TickedByDefault: true}}
			},
		},
		{
			"an empty newsletter list turns newsletters off",
			`{"newsletters": []}`,
			func(s *settings.Settings) { s.Newsletters = []settings.NewsletterType{} },
		},
		{
			"a null newsletter list turns newsletters off",
			`{"newsletters": null}`,
			func(s *settings.Settings) { s.Newsletters = nil },
		},
		{
			"consents and attributes are read",
			`{"consents": [{"id": "terms", "message": "I accept the terms.", "required": true}],
			  "attributes": [{"id": "size", "name": "Size", "type": "dropdown", "values": ["S", "M"]}]}`,
			func(s *settings.Settings) {
				s.Consents = []settings.Consent{{ID: "terms", Message: "I accept the terms.", Required: true}}
				s.Attributes = []settings.Attribute{{ID: "size", Name: "Size", Type: settings.AttributeDropdown, Values: []string{"S", "M"}}}
			},
		},
		{
			"a store owner address is accepted with notifications on",
			`{"notifyStoreOwner": true, "storeOwnerEmail": "owner@shop.example"}`,
			func(s *settings.Settings) { s.NotifyStoreOwner = true; s.StoreOwnerEmail = "owner@shop.example" },
		},
		{
			"a newsletter, a consent and an attribute may share an id",
			`{"newsletters": [{"id": "x", "name": "X"}], "consents": [{"id": "x", "message": "m"}], "attributes": [{"id": "x", "name": "X", "type": "text"}]}`,
			func(s *settings.Settings) {
				s.Newsletters = []settings.NewsletterType{{ID: "x", Name: "X"}}
				s.Consents = []settings.Consent{{ID: "x", Message: "m"}}
				s.Attributes = []settings.Attribute{{ID: "x", Name: "X", Type: settings.AttributeText}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := settings.Default()
			tt.edit(&want)
			if got := parse(t, tt.doc); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%s) =\n%+v\nwant\n%+v", tt.doc, got, want)
			}
		})
	}
}

func TestParseRefusesMalformedDocuments(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"an unknown top-level key fails", `{"storName": "typo"}`, `unknown field "storName"`},
		{"an unknown nested key fails", `{"urls": {"loginPage": "/login"}}`, `unknown field "loginPage"`},
		{"an unknown key inside a list entry fails", `{"newsletters": [{"id": "a", "name": "A", "ticked": true}]}`, `unknown field "ticked"`},
		{"a second document after the first fails", `{} {}`, "trailing data"},
		{"garbage after the document fails", `{"storeName": "x"} x`, "trailing data"},
		{"a document that is not an object fails", `[]`, "settings:"},
		{"a truncated document fails", `{"storeName": "x"`, "settings:"},
		{"a value of the wrong type fails", `{"storeName": 5}`, "settings:"},
		{"a duration that is a number fails", `{"sessionLifetime": 3600}`, `duration must be a string such as "24h"`},
		{"a duration that is not Go duration text fails", `{"sessionLifetime": "one day"}`, "settings:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErr(t, tt.doc); !strings.Contains(got, tt.want) {
				t.Errorf("error = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestParseNamesTheOffendingKey(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		key  string
	}{
		{"an empty store name", `{"storeName": " "}`, "storeName"},
		{"a store id with a slash", `{"defaultStoreId": "a/b"}`, "defaultStoreId"},
		{"an unknown registration type", `{"registrationType": "Open"}`, "registrationType"},
		{"a registration type in the wrong case", `{"registrationType": "standard"}`, "registrationType"},
		{"an empty language list", `{"languages": []}`, "languages"},
		{"an upper-case language code", `{"languages": ["EN"], "defaultLanguage": "EN"}`, "languages"},
		{"a default language not in the list", `{"defaultLanguage": "fr"}`, "defaultLanguage"},
		{"an unknown profile field", `{"fields": {"nickname": {"enabled": true}}}`, "fields.nickname"},
		{"a field required but disabled", `{"fields": {"company": {"enabled": false, "required": true}}}`, "fields.company"},
		{"a state without a country", `{"fields": {"stateProvince": {"enabled": true}}}`, "fields.stateProvince"},
		{"a consent without an id", `{"consents": [{"id": "", "message": "m"}]}`, "consents[0].id"},
		{"a consent id with a space", `{"consents": [{"id": "a b", "message": "m"}]}`, "consents[0].id"},
		{"a duplicate consent id", `{"consents": [{"id": "a", "message": "m"}, {"id": "a", "message": "m"}]}`, "consents[1].id"},
		{"a consent without a message", `{"consents": [{"id": "a", "message": " "}]}`, "consents[0].message"},
		{"a newsletter id starting with a dot", `{"newsletters": [{"id": ".a", "name": "A"}]}`, "newsletters[0].id"},
		{"a duplicate newsletter id", `{"newsletters": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]}`, "newsletters[1].id"},
		{"a newsletter without a name", `{"newsletters": [{"id": "a", "name": ""}]}`, "newsletters[0].name"},
		{"a dropdown without values", `{"attributes": [{"id": "size", "name": "Size", "type": "dropdown"}]}`, "attributes[0].values"},
		{"a text attribute with values", `{"attributes": [{"id": "note", "name": "Note", "type": "text", "values": ["x"]}]}`, "attributes[0].values"},
		{"an unknown attribute type", `{"attributes": [{"id": "a", "name": "A", "type": "radio"}]}`, "attributes[0].type"},
		{"a duplicate attribute id", `{"attributes": [{"id": "a", "name": "A", "type": "text"}, {"id": "a", "name": "B", "type": "checkbox"}]}`, "attributes[1].id"},
		{"an unknown CAPTCHA provider", `{"captcha": {"provider": "recaptcha", "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`, "captcha.provider"},
		{"a CAPTCHA without a site key", `{"captcha": {"provider": "hcaptcha", "siteKey": "", "secret": "ssm:/s", "on": {"resend": true}}}`, "captcha.siteKey"},
		{"a CAPTCHA secret written into the document", `{"captcha": {"provider": "hcaptcha", "siteKey": "k", "secret": "0x0000SECRET", "on": {"resend": true}}}`, "captcha.secret"},
		{"a CAPTCHA secret in an unknown place", `{"captcha": {"provider": "hcaptcha", "siteKey": "k", "secret": "vault:x", "on": {"resend": true}}}`, "captcha.secret"},
		{"an SSM parameter path without its leading slash", `{"captcha": {"provider": "hcaptcha", "siteKey": "k", "secret": "ssm:shop/captcha", "on": {"resend": true}}}`, "captcha.secret"},
		{"a CAPTCHA that applies nowhere", `{"captcha": {"provider": "turnstile", "siteKey": "k", "secret": "ssm:/s", "on": {}}}`, "captcha.on"},
		{"a CAPTCHA verify URL that is not http(s)", `{"captcha": {"provider": "turnstile", "verifyUrl": "ftp://x/y", "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`, "captcha.verifyUrl"},
		{"a CAPTCHA timeout over 10s", `{"captcha": {"provider": "turnstile", "timeout": "11s", "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`, "captcha.timeout"},
		{"a reCAPTCHA v3 score above 1", `{"captcha": {"provider": "recaptcha-v3", "minScore": 1.5, "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`, "captcha.minScore"},
		{"a score for a provider without scores", `{"captcha": {"provider": "recaptcha-v2", "minScore": 0.5, "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`, "captcha.minScore"},
		{"a CAPTCHA for sign-in without the per-login limit that asks for it", `{"signInThrottle": {"perLogin": {"max": 0}}, "captcha": {"provider": "turnstile", "siteKey": "k", "secret": "ssm:/s", "on": {"signIn": true}}}`, "captcha.on.signIn"},
		{"a CAPTCHA hostname with a scheme", `{"captcha": {"provider": "turnstile", "hostnames": ["https://shop.example"], "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`, "captcha.hostnames[0]"},
		{"a password policy with minLength 0", `{"passwordPolicy": {"minLength": 0}}`, "passwordPolicy"},
		{"a password policy with maxLength below minLength", `{"passwordPolicy": {"minLength": 10, "maxLength": 8}}`, "passwordPolicy"},
		{"hashing with zero iterations", `{"passwordHashing": {"iterations": 0}}`, "passwordHashing"},
		{"hashing with too little memory", `{"passwordHashing": {"memoryKiB": 4}}`, "passwordHashing"},
		{"a negative sign-in limit", `{"signInThrottle": {"perLogin": {"max": -1}}}`, "signInThrottle.perLogin.max"},
		{"a sign-in limit with a zero window", `{"signInThrottle": {"perLoginAndClient": {"window": "0s"}}}`, "signInThrottle.perLoginAndClient.window"},
		{"a client limit with a window over a day", `{"clientLimits": {"register": {"window": "25h"}}}`, "clientLimits.register.window"},
		{"a name pattern that does not compile", `{"namePattern": "[a-"}`, "namePattern"},
		{"unverified accounts that expire before their link", `{"unverifiedAccountLifetime": "1h"}`, "unverifiedAccountLifetime"},
		{"an account path that leaves the storefront", `{"urls": {"accountPath": "//evil.example"}}`, "urls.accountPath"},
		{"a zero verification token lifetime", `{"verificationTokenLifetime": "0s"}`, "verificationTokenLifetime"},
		{"a verification token lifetime over 30 days", `{"verificationTokenLifetime": "721h"}`, "verificationTokenLifetime"},
		{"a negative session lifetime", `{"sessionLifetime": "-1h"}`, "sessionLifetime"},
		{"a remember-me lifetime over a year", `{"rememberMeLifetime": "8761h"}`, "rememberMeLifetime"},
		{"a public API without a scheme", `{"urls": {"publicApi": "api.shop.example"}}`, "urls.publicApi"},
		{"a public API over ftp", `{"urls": {"publicApi": "ftp://api.shop.example"}}`, "urls.publicApi"},
		{"a public API with a query", `{"urls": {"publicApi": "https://api.shop.example?x=1"}}`, "urls.publicApi"},
		{"a public API with a fragment", `{"urls": {"publicApi": "https://api.shop.example#x"}}`, "urls.publicApi"},
		{"an empty public API", `{"urls": {"publicApi": ""}}`, "urls.publicApi"},
		{"a storefront without a host", `{"urls": {"storefront": "https:///path"}}`, "urls.storefront"},
		{"a protocol-relative login path", `{"urls": {"loginPath": "//evil"}}`, "urls.loginPath"},
		{"a relative login path", `{"urls": {"loginPath": "login"}}`, "urls.loginPath"},
		{"a login path with a query", `{"urls": {"loginPath": "/login?x=1"}}`, "urls.loginPath"},
		{"a login path with a backslash", `{"urls": {"loginPath": "/\\evil"}}`, "urls.loginPath"},
		{"an empty login path", `{"urls": {"loginPath": ""}}`, "urls.loginPath"},
		{"a sender with a display name", `{"mailFrom": "Name <a@b.com>"}`, "mailFrom"},
		{"a sender with surrounding spaces", `{"mailFrom": " a@b.com"}`, "mailFrom"},
		{"a sender that is not an address", `{"mailFrom": "no-reply"}`, "mailFrom"},
		{"an empty sender", `{"mailFrom": ""}`, "mailFrom"},
		{"no store owner address with notifications on", `{"notifyStoreOwner": true}`, "storeOwnerEmail"},
		{"a store owner address with a display name", `{"notifyStoreOwner": true, "storeOwnerEmail": "Owner <o@b.com>"}`, "storeOwnerEmail"},
		{"a store owner language the store lacks", `{"storeOwnerLanguage": "fr"}`, "storeOwnerLanguage"},
		{"a resend interval over a day", `{"resend": {"interval": "25h"}}`, "resend.interval"},
		{"an event bus name with a slash", `{"eventBusName": "a/b"}`, "eventBusName"},
		{"an address field listed twice", `{"addressFields": ["city", "city"]}`, "addressFields[1]"},
		{"an address field that is no address field", `{"addressFields": ["gender"]}`, "addressFields[0]"},
		{"an allowed origin with a path", `{"urls": {"allowedOrigins": ["https://shop.example/path"]}}`, "urls.allowedOrigins[0]"},
		{"an allowed origin without a scheme", `{"urls": {"allowedOrigins": ["shop.example"]}}`, "urls.allowedOrigins[0]"},
		{"a password-reset lifetime over a day", `{"passwordResetLifetime": "25h"}`, "passwordResetLifetime"},
		{"an email-change lifetime over a week", `{"emailChangeLifetime": "169h"}`, "emailChangeLifetime"},
		{"a slowdown over a minute", `{"signInThrottle": {"slowdown": "2m"}}`, "signInThrottle.slowdown"},
		{"a CAPTCHA verify URL with a fragment", `{"captcha": {"provider": "turnstile", "verifyUrl": "https://verify.example/#x", "siteKey": "k", "secret": "ssm:/s", "on": {"registration": true}}}`, "captcha.verifyUrl"},
		{"a CAPTCHA timeout under 100ms", `{"captcha": {"provider": "turnstile", "timeout": "99ms", "siteKey": "k", "secret": "ssm:/s", "on": {"registration": true}}}`, "captcha.timeout"},
		{"a device trust key ring in an unknown place", `{"deviceTrust": {"secret": "vault:x"}}`, "deviceTrust.secret"},
		{"a device lifetime under an hour", `{"deviceTrust": {"lifetime": "59m"}}`, "deviceTrust.lifetime"},
		{"a device lifetime over two years", `{"deviceTrust": {"lifetime": "17521h"}}`, "deviceTrust.lifetime"},
		{"no device remembered per login", `{"deviceTrust": {"maxPerLogin": 0}}`, "deviceTrust.maxPerLogin"},
		{"more than 100 failures from a trusted device", `{"deviceTrust": {"maxFailures": 101}}`, "deviceTrust.maxFailures"},
		{"a guest lifetime under a day", `{"guests": {"lifetime": "23h"}}`, "guests.lifetime"},
		{"a guest lifetime over a year", `{"guests": {"lifetime": "8761h"}}`, "guests.lifetime"},
		{"a cart quantity of 0", `{"cart": {"maxQuantity": 0}}`, "cart.maxQuantity"},
		{"a cart of more than 500 lines", `{"cart": {"maxLines": 501}}`, "cart.maxLines"},
		{"an SKU pattern that does not compile", `{"cart": {"skuPattern": "[a-"}}`, "cart.skuPattern"},
		{"an empty SKU pattern", `{"cart": {"skuPattern": ""}}`, "cart.skuPattern"},
		{"an empty name pattern", `{"namePattern": ""}`, "namePattern"},
		{"an unknown cart merge strategy", `{"cart": {"mergeStrategy": "min"}}`, "cart.mergeStrategy"},
		{"an EU VAT check without the VAT number field", `{"vat": {"euVat": true}}`, "vat.euVat"},
		{"VAT notices without a store owner address", `{"vat": {"notifyStoreOwner": true}}`, "storeOwnerEmail"},
		{"a VIES URL with a query", `{"vat": {"viesUrl": "https://vies.example/api?x=1"}}`, "vat.viesUrl"},
		{"a VIES URL over ftp", `{"vat": {"viesUrl": "ftp://vies.example/api"}}`, "vat.viesUrl"},
		{"a VIES timeout over 30s", `{"vat": {"timeout": "31s"}}`, "vat.timeout"},
		{"an email check that is neither allow nor refuse", `{"emailChecks": {"disposable": "warn"}}`, "emailChecks.disposable"},
		{"a DNS server named by host name", `{"emailChecks": {"resolver": "dns.example:53"}}`, "emailChecks.resolver"},
		{"a DNS server without its port", `{"emailChecks": {"resolver": "10.0.0.2"}}`, "emailChecks.resolver"},
		{"a DNS timeout over 5s", `{"emailChecks": {"timeout": "6s"}}`, "emailChecks.timeout"},
		{"a session lifetime under a second", `{"sessionLifetime": "500ms"}`, "sessionLifetime"},
	}
	for _, tt := range tests {
		t.Run("the error names settings."+tt.key+" for "+tt.name, func(t *testing.T) {
			got := parseErr(t, tt.doc)
			if want := "settings." + tt.key + ":"; !strings.Contains(got, want) {
				t.Errorf("error = %q, want it to name %q", got, want)
			}
		})
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	got := parseErr(t, `{"storeName": "", "registrationType": "Open", "urls": {"loginPath": "x"}, "mailFrom": "x"}`)
	for _, key := range []string{"settings.storeName:", "settings.registrationType:", "settings.urls.loginPath:", "settings.mailFrom:"} {
		if !strings.Contains(got, key) {
			t.Errorf("error = %q, want it to name %q too", got, key)
		}
	}
}

func TestValidateAcceptsOptionalOffSettings(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"no store owner address is needed with notifications off", `{"notifyStoreOwner": false, "storeOwnerEmail": ""}`},
		{"a zero limit turns it off whatever the window", `{"signInThrottle": {"perLoginAndClient": {"max": 0, "window": "0s"}}, "clientLimits": {"signIn": {"max": 0, "window": "0s"}}}`},
		{"a state is accepted with a country", `{"fields": {"stateProvince": {"enabled": true}, "countryCode": {"enabled": true}}}`},
		{"a disabled, not required field is accepted", `{"fields": {"fax": {"enabled": false}}}`},
		{"a null CAPTCHA is accepted", `{"captcha": null}`},
		{"a CAPTCHA for every place is accepted", `{"captcha": {"provider": "turnstile", "siteKey": "k", "secret": "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:captcha-AbCdEf", "on": {"registration": true, "signIn": true, "passwordReset": true, "resend": true}}}`},
		{"a CAPTCHA secret in a local file is accepted", `{"captcha": {"provider": "hcaptcha", "siteKey": "k", "secret": "file:/tmp/captcha-secret", "on": {"registration": true}}}`},
		{"the longest lifetimes are accepted", `{"verificationTokenLifetime": "720h", "unverifiedAccountLifetime": "2160h", "sessionLifetime": "8760h", "rememberMeLifetime": "8760h"}`},
		{"https URLs with paths are accepted", `{"urls": {"publicApi": "https://api.shop.example/v1", "storefront": "https://shop.example"}}`},
		{"any slowdown is accepted with the per-login limit off", `{"signInThrottle": {"perLogin": {"max": 0}, "slowdown": "0s"}}`},
		{"an allowed origin with a port is accepted", `{"urls": {"allowedOrigins": ["http://localhost:3000"]}}`},
		{"the bounds of every range are accepted", `{"guests": {"lifetime": "24h"}, "cart": {"maxQuantity": 10000, "maxLines": 1}, "deviceTrust": {"lifetime": "1h", "maxPerLogin": 50, "maxFailures": 1}, "resend": {"interval": "1s"}, "vat": {"timeout": "30s"}, "signInThrottle": {"slowdown": "1m"}}`},
		{"an EU VAT check with the VAT number field is accepted", `{"fields": {"vatNumber": {"enabled": true}}, "vat": {"euVat": true, "viesUrl": "http://127.0.0.1:9000/vies", "notifyStoreOwner": true}, "storeOwnerEmail": "owner@shop.example"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse(t, tt.doc)
		})
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		name string
		d    settings.Duration
		json string
	}{
		{"a day is written as hours", settings.Duration(24 * time.Hour), `"24h0m0s"`},
		{"ninety minutes are written in hours and minutes", settings.Duration(90 * time.Minute), `"1h30m0s"`},
		{"a fraction of a second survives", settings.Duration(1500 * time.Millisecond), `"1.5s"`},
		{"zero is written as 0s", 0, `"0s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.d)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got := string(b); got != tt.json {
				t.Errorf("Marshal(%v) = %s, want %s", time.Duration(tt.d), got, tt.json)
			}
			var back settings.Duration
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if back != tt.d {
				t.Errorf("round trip of %v gave %v", time.Duration(tt.d), time.Duration(back))
			}
		})
	}

	bad := []struct {
		name string
		json string
	}{
		{"a number is refused", `86400`},
		{"text that is not a duration is refused", `"a day"`},
		{"a duration without a unit is refused", `"24"`},
		{"null inside a string is refused", `"null"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			d := settings.Duration(time.Hour)
			if err := json.Unmarshal([]byte(tt.json), &d); err == nil {
				t.Errorf("Unmarshal(%s) = nil error, gave %v", tt.json, time.Duration(d))
			}
		})
	}

	t.Run("shorter unit spellings are read", func(t *testing.T) {
		var d settings.Duration
		if err := json.Unmarshal([]byte(`"30m"`), &d); err != nil {
			t.Fatalf("Unmarshal: %v", err)
		}
		if got, want := time.Duration(d), 30*time.Minute; got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestSettingsRoundTripThroughJSON(t *testing.T) {
	want := settings.Default()
	want.Consents = []settings.Consent{{ID: "terms", Message: "Terms", Required: true}}
	want.Attributes = []settings.Attribute{{ID: "size", Name: "Size", Type: settings.AttributeDropdown, Values: []string{"S"}}}
	want.Fields[settings.Phone] = settings.Field{Enabled: true, Required: true}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if got := parse(t, string(b)); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(Marshal(s)) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct {
		name      string
		languages []string
		preferred []string
		want      string
	}{
		{"the first supported preference wins", []string{"en", "de"}, []string{"de-DE", "en"}, "de"},
		{"an unsupported language falls back to the default", []string{"en", "de"}, []string{"fr"}, "en"},
		{"a region in upper and lower case is handled", []string{"en", "de"}, []string{"EN-us"}, "en"},
		{"an underscore region separator is handled", []string{"en", "de"}, []string{"de_AT"}, "de"},
		{"unsupported preferences are skipped", []string{"en", "de"}, []string{"fr-FR", "it", "de"}, "de"},
		{"no preferences give the default", []string{"en", "de"}, nil, "en"},
		{"an empty preference gives the default", []string{"en", "de"}, []string{""}, "en"},
		{"a wildcard gives the default", []string{"en", "de"}, []string{"*"}, "en"},
		{"a preference starting with a separator is not cut to nothing", []string{"en", "de"}, []string{"-de"}, "en"},
		{"a three-letter code is matched", []string{"en", "gsw"}, []string{"gsw-CH"}, "gsw"},
		{"a regional variant of a supported language gets it", []string{"en", "de"}, []string{"de-CH"}, "de"},
		{"Norwegian Nynorsk reads Bokmål", []string{"en", "nb"}, []string{"nn"}, "nb"},
		{"traditional Chinese is not simplified Chinese", []string{"en", "zh-Hans"}, []string{"zh-TW"}, "en"},
		{"a better later preference does not beat an earlier exact one", []string{"en", "de", "fr"}, []string{"fr", "de-DE"}, "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings.Default()
			s.Languages = tt.languages
			if got := s.Language(tt.preferred); got != tt.want {
				t.Errorf("Language(%q) with languages %v = %q, want %q", tt.preferred, tt.languages, got, tt.want)
			}
		})
	}

	t.Run("the fallback is the configured default language", func(t *testing.T) {
		s := parse(t, `{"defaultLanguage": "de"}`)
		if got, want := s.Language([]string{"fr"}), "de"; got != want {
			t.Errorf("Language([fr]) = %q, want %q", got, want)
		}
	})
}

func TestField(t *testing.T) {
	s := settings.Default()
	tests := []struct {
		name  string
		field string
		want  settings.Field
	}{
		{"a configured field is returned", settings.FirstName, settings.Field{Enabled: true, Required: true}},
		{"an optional field is returned", settings.Company, settings.Field{Enabled: true}},
		{"an unconfigured field is disabled", settings.Fax, settings.Field{}},
		{"an unknown field is disabled", "nickname", settings.Field{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Field(tt.field); got != tt.want {
				t.Errorf("Field(%q) = %+v, want %+v", tt.field, got, tt.want)
			}
		})
	}
}

func TestBrowserOrigins(t *testing.T) {
	t.Run("the storefront's origin is always allowed, plus the configured ones once each", func(t *testing.T) {
		s, err := settings.Parse([]byte(`{"urls":{"publicApi":"https://api.shop.example","storefront":"https://shop.example/de/","loginPath":"/login",
			"allowedOrigins":["https://m.shop.example","https://shop.example"]}}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(s.URLs.BrowserOrigins(), " "); got != "https://shop.example https://m.shop.example" {
			t.Errorf("origins = %s", got)
		}
	})
	for _, bad := range []string{"https://shop.example/", "shop.example", "https://shop.example/path", "ftp://shop.example"} {
		t.Run("refuses "+bad+" as an origin", func(t *testing.T) {
			_, err := settings.Parse([]byte(`{"urls":{"publicApi":"https://a.example","storefront":"https://s.example","loginPath":"/login","allowedOrigins":["` + bad + `"]}}`))
			if err == nil || !strings.Contains(err.Error(), "settings.urls.allowedOrigins[0]") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestCaptchaDefaults(t *testing.T) {
	s := parse(t, `{"captcha": {"provider": "recaptcha-v3", "siteKey": "k", "secret": "ssm:/shop/captcha", "on": {"registration": true}}}`)
	if s.Captcha.Timeout != settings.DefaultCaptchaTimeout || s.Captcha.MinScore != settings.DefaultCaptchaMinScore {
		t.Fatalf("timeout %s, minScore %v: want the defaults", time.Duration(s.Captcha.Timeout), s.Captcha.MinScore)
	}
	scheme, name := s.Captcha.SecretRef()
	if scheme != settings.SecretSSM || name != "/shop/captcha" {
		t.Fatalf("SecretRef() = %q, %q", scheme, name)
	}
}

func TestSecretRefs(t *testing.T) {
	s := parse(t, `{"deviceTrust": {"secret": "file:/tmp/ring"}, "serverKeys": ["secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:k"]}`)
	if scheme, name := s.DeviceTrust.SecretRef(); scheme != settings.SecretFile || name != "/tmp/ring" {
		t.Errorf("DeviceTrust.SecretRef() = %q, %q", scheme, name)
	}
	if scheme, name := s.ServerKeys[0].SecretRef(); scheme != settings.SecretSecretsManager || name != "arn:aws:secretsmanager:eu-west-1:1:secret:k" {
		t.Errorf("ServerKey.SecretRef() = %q, %q", scheme, name)
	}
	if scheme, name := settings.ParseSecretRef("no scheme"); scheme != "no scheme" || name != "" {
		t.Errorf("ParseSecretRef(no scheme) = %q, %q", scheme, name)
	}
}

func TestServerKeys(t *testing.T) {
	const urls = `"urls":{"publicApi":"https://api.shop.example","storefront":"https://shop.example","loginPath":"/login"}`
	tests := []struct {
		name, keys string
		want       []settings.ServerKey
		err        string
	}{
		{"a key by reference alone gets an id and the default ceiling", `["ssm:/shop/ssr-key"]`,
			[]settings.ServerKey{{ID: "key1", Secret: "ssm:/shop/ssr-key", Ceiling: settings.DefaultServerKeyCeiling}}, ""},
		{"a key as an object keeps its id and ceiling", `[{"id":"ssr","secret":"secretsmanager:ssr","ceiling":{"max":5,"window":"1h"}}]`,
			[]settings.ServerKey{{ID: "ssr", Secret: "secretsmanager:ssr", Ceiling: settings.Limit{Max: 5, Window: settings.Duration(time.Hour)}}}, ""},
		{"two keys may be live for rotation", `["ssm:/a","ssm:/b"]`,
			[]settings.ServerKey{{ID: "key1", Secret: "ssm:/a", Ceiling: settings.DefaultServerKeyCeiling}, {ID: "key2", Secret: "ssm:/b", Ceiling: settings.DefaultServerKeyCeiling}}, ""},
		{"three keys are refused", `["ssm:/a","ssm:/b","ssm:/c"]`, nil, "serverKeys"},
		{"a key itself in place of its reference is refused", `["0123456789abcdef0123"]`, nil, "serverKeys[0].secret"},
		{"an object without a ceiling is refused", `[{"id":"ssr","secret":"ssm:/a"}]`, nil, "serverKeys[0].ceiling"},
		{"an unknown key in the object is refused", `[{"id":"ssr","secret":"ssm:/a","ceiling":{"max":5,"window":"1h"},"key":"x"}]`, nil, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := settings.Parse([]byte(`{` + urls + `,"serverKeys":` + tt.keys + `}`))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.ServerKeys, tt.want) {
				t.Errorf("serverKeys = %+v, want %+v", s.ServerKeys, tt.want)
			}
		})
	}
}
