// Package app is the composition root: it builds every use case from a
// configuration and the AWS clients a function uses (and no other: what a
// function does not call is not linked into its binary). Each function's main, the local stack and
// the integration tests wire the system through here, so what is tested is
// what is deployed.
package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/deliverability"
	"github.com/openreg/registration/internal/emailcheck"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/shopping"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/device"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/sesevents"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/storefront"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/verification"
)

// Runtime is the process's clock, randomness and logger.
type Runtime struct {
	Now    func() time.Time
	Random io.Reader
	Log    *slog.Logger
}

// Production returns the real clock, crypto/rand and a JSON logger on stdout
// (CloudWatch reads it as structured logs).
func Production(level slog.Level) Runtime {
	return Runtime{
		Now:    time.Now,
		Random: rand.Reader,
		Log:    slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})),
	}
}

// System is the wired HTTP API and the store under it.
type System struct {
	API   *httpapi.API
	Store Store
}

// Store is everything the HTTP use cases keep: the union of their own Store
// interfaces. The functions pass the DynamoDB store (NewStore); tests may
// pass internal/store/memstore.
type Store interface {
	registration.Store
	verification.Store
	verification.Jobs
	verification.LinkStore
	signin.Store
	session.Store
	myaccount.Store
	shopping.Store
	admin.Store
	httpapi.Counters
}

// NewStore is the DynamoDB store of a function's table.
func NewStore(cfg config.Config, db store.API, rt Runtime) *store.Store {
	return store.New(db, cfg.Table, rt.Random, rt.Now)
}

// Clients are what the HTTP functions call besides the store: for a store
// with a CAPTCHA, the provider (over HTTP) and the places secrets are kept.
type Clients struct {
	// HTTP reaches the CAPTCHA provider (nil: http.DefaultClient; each
	// verification is bounded by the CAPTCHA's timeout).
	HTTP captcha.Doer
	// Secrets builds the readers of the CAPTCHA's secret and the device
	// keys on first use.
	Secrets captcha.Sources
	// Resolver answers the email checks' DNS questions (nil: none asked;
	// the answer says a domain's mail is unknown).
	Resolver emailcheck.Resolver
}

// HTTPClients are a deployed HTTP function's clients: none is built before
// it is needed (the secret's reader is built on the first CAPTCHA).
func HTTPClients(a config.AWS, c aws.Config) Clients {
	return Clients{
		Secrets: captcha.Sources{
			Parameters: func() captcha.ParameterReader {
				return ssm.NewFromConfig(c, func(o *ssm.Options) { o.BaseEndpoint = endpoint(a, "SSM") })
			},
			Secrets: func() captcha.SecretReader {
				return secretsmanager.NewFromConfig(c, func(o *secretsmanager.Options) { o.BaseEndpoint = endpoint(a, "SECRETS_MANAGER") })
			},
		},
		// The function's own resolver (in a Lambda, the VPC's or AWS's).
		Resolver: net.DefaultResolver,
	}
}

func endpoint(a config.AWS, service string) *string {
	if e := a.Endpoint(service); e != "" {
		return aws.String(e)
	}
	return nil
}

// NewSystem wires the HTTP use cases on a store. They talk to the store
// only (and to the CAPTCHA provider where the store has one): the mail they
// cause is stored in the outbox in the same write, and the table's stream
// carries it to the mailer.
func NewSystem(cfg config.Config, st Store, c Clients, rt Runtime) (*System, error) {
	s := cfg.Settings
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	gate := captcha.New(s.Captcha, s.URLs, c.Secrets.SecretOf(s.Captcha), httpClient, rt.Log)
	hasher, err := password.NewHasher(s.PasswordHashing, rt.Random)
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	// The Pwned Passwords range API, where the policy asks it, over the
	// same client as the CAPTCHA provider.
	breached := password.RangeFor(s.PasswordPolicy, httpClient, rt.Log)
	codes, guard := Codes(cfg, st, c.Secrets, rt)
	passkeys := Passkeys(s, rt)
	tokens := token.NewGenerator(rt.Random)
	sessions := session.NewManager(st, tokens, session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime),
	}, rt.Now)
	checks := emailcheck.New(resolverOf(s.EmailChecks, c.Resolver), time.Duration(s.EmailChecks.Timeout)).Limited(st, s.ClientLimits.EmailChecks, rt.Now)
	shop := shopping.New(shopping.Deps{Settings: s, Store: st, Sessions: sessions, Random: rt.Random, Now: rt.Now})
	reg := registration.New(registration.Deps{
		Settings: s, Store: st, Sessions: sessions, Hasher: hasher, Breached: breached, HandOvers: shop, Captcha: gate,
		EmailChecks: checks, Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	var devices *device.Keyring
	if s.DeviceTrust.Secret != "" {
		devices = device.NewKeyring(device.Source(c.Secrets.Ref(s.DeviceTrust.Secret)), rt.Now)
	}
	signIn := signin.New(signin.Deps{Settings: s, Store: st, Sessions: sessions, Hasher: hasher, HandOvers: shop,
		Captcha: gate, Devices: devices, Codes: codes, Guard: guard, Passkeys: passkeys, Random: rt.Random, Now: rt.Now, Log: rt.Log})
	pages, err := httpapi.LoadPages(s.Languages, s.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	api := httpapi.New(httpapi.Deps{
		Settings:     s,
		Registration: reg,
		Verification: verification.New(verification.Deps{Store: st, Sessions: sessions, Hasher: hasher,
			Policy: s.PasswordPolicy, Breached: breached, HandOvers: shop, Codes: codes, Guard: guard, Random: rt.Random, Now: rt.Now}),
		Resend: verification.NewRequests(st, s.ClientLimits.Resend, gate, rt.Random, rt.Now),
		SignIn: signIn,
		Account: myaccount.New(myaccount.Deps{Settings: s, Store: st, Sessions: sessions, Passwords: signIn,
			Hasher: hasher, Breached: breached, Captcha: gate, Codes: codes, Guard: guard, Passkeys: passkeys,
			EmailChecks: checks, Random: rt.Random, Now: rt.Now, Log: rt.Log}),
		Shopping:    shop,
		EmailChecks: checks,
		BackOffice: admin.New(admin.Deps{Settings: s, Store: st, Sessions: sessions, Hasher: hasher,
			Breached: breached, Random: rt.Random, Now: rt.Now}),
		Cookies: httpapi.Cookies{Secure: cfg.CookieSecure},
		Pages:   pages,
		Captcha: gate.Describe(),
		Storefronts: storefront.New(s.ServerKeys, func(ref string) storefront.Secret {
			return storefront.Secret(c.Secrets.Ref(ref))
		}, rt.Now),
		Counters: st,
		Log:      rt.Log,
		Now:      rt.Now,
	})
	return &System{API: api, Store: st}, nil
}

// resolverOf is the resolver the email checks ask: the DNS server the
// settings name, or the function's own; none where the clients ask no DNS
// (tests).
func resolverOf(e settings.EmailChecks, own emailcheck.Resolver) emailcheck.Resolver {
	if own == nil || e.Resolver == "" {
		return own
	}
	return emailcheck.ResolverAt(e.Resolver)
}

// Codes are the checker and the guard of the 6-digit codes, over the key
// ring CODE_KEYS_SECRET names; a nil checker (no key ring configured)
// takes no code, and the mailer then mails none.
func Codes(cfg config.Config, st code.GuardStore, secrets captcha.Sources, rt Runtime) (*code.Hasher, *code.Guard) {
	if cfg.CodeKeys == "" {
		return nil, nil
	}
	ring := device.NewKeyring(device.Source(secrets.Ref(cfg.CodeKeys)), rt.Now)
	return code.NewHasher(ring), code.NewGuard(st, cfg.Settings, rt.Now, rt.Log)
}

// Passkeys are the WebAuthn ceremonies of the store's storefront (its
// registrable domain is the relying party; its origin and
// urls.allowedOrigins may use it), nil where the storefront cannot be one
// (an IP address): then the passkey routes answer not_found.
func Passkeys(s settings.Settings, rt Runtime) *passkey.Ceremonies {
	cfg, err := passkey.ConfigFor(s.URLs.Storefront, s.URLs.AllowedOrigins, s.StoreName)
	if err == nil {
		var c *passkey.Ceremonies
		if c, err = passkey.New(cfg, rt.Random, rt.Now); err == nil {
			return c
		}
	}
	rt.Log.Info("passkeys are off: the storefront cannot be a relying party", "storefront", s.URLs.Storefront, "reason", err)
	return nil
}

// ServeHTTP is an HTTP function's main: its cold start (Boot), the
// DynamoDB store and the clients it calls, the system wired on them, and
// Lambda's loop on the handler of function's routes.
func ServeHTTP(function string) {
	cfg, aws, rt := Boot(config.NeedTable)
	sys, err := NewSystem(cfg, NewStore(cfg, DynamoDB(cfg.AWS, aws), rt), HTTPClients(cfg.AWS, aws), rt)
	Exit(err)
	lambda.Start(sys.API.Handler(function))
}

// NewFeedback wires the ses-events function's handler.
func NewFeedback(cfg config.Config, db store.API, rt Runtime) *sesevents.Handler {
	return sesevents.New(deliverability.New(NewStore(cfg, db, rt), rt.Random, rt.Now, rt.Log))
}

// Boot is a function's cold start: it loads the configuration from the
// environment (requiring what needs names, and always the region and
// credentials Lambda provides) and the AWS configuration, from which main
// builds only the clients its function uses (building a client makes no
// call), and returns the production runtime. It ends the process with an
// operator-readable message when any of that fails. Only mains call it.
func Boot(needs ...config.Need) (config.Config, aws.Config, Runtime) {
	cfg, err := config.Load(os.Getenv, append(needs, config.NeedAWS)...)
	Exit(err)
	return cfg, AWSConfig(cfg.AWS), Production(cfg.LogLevel)
}

// AWSConfig is the SDK configuration of a function: its region and its
// role's credentials, as Lambda gives them. The SDK's own loader is not used:
// in Lambda it would find the same environment variables, after linking in
// (and initialising) the SSO, STS, IMDS and shared-file providers.
//
// No per-call HTTP timeout: a timed-out SES send may have been accepted, and
// retrying it would mail twice. Calls are bounded by the invocation's context
// instead (see httpapi.Handler for the HTTP functions).
func AWSConfig(a config.AWS) aws.Config {
	creds := aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey, SessionToken: a.SessionToken,
		Source: "EnvConfigCredentials"}
	return aws.Config{
		Region: a.Region,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		})),
	}
}

// DynamoDB builds the DynamoDB client, at the endpoint override if any.
func DynamoDB(a config.AWS, c aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(c, func(o *dynamodb.Options) {
		if e := a.Endpoint("DYNAMODB"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
}

// Exit ends a cold start that cannot go on, with a message an operator can
// act on. Only mains call it.
func Exit(err error) {
	if err == nil {
		return
	}
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("cold start failed", "error", err.Error())
	os.Exit(1)
}
