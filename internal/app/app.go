// Package app is the composition root: it builds every use case from a
// configuration and AWS clients. Each function's main, the local stack and
// the integration tests wire the system through here, so what is tested is
// what is deployed.
package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/queue"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/sesevents"
	"github.com/openreg/registration/internal/sesmail"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/verification"
)

// Clients are the AWS clients, built once in main from one aws.Config.
type Clients struct {
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	SES      *sesv2.Client
}

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

// System is the wired HTTP API and the outbox relay it flushes through.
type System struct {
	API   *httpapi.API
	Relay *outbox.Relay
	Store *store.Store
}

// NewSystem wires the HTTP use cases.
func NewSystem(cfg config.Config, c Clients, rt Runtime) (*System, error) {
	s := cfg.Settings
	hasher, err := password.NewHasher(s.PasswordHashing, rt.Random)
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	db := store.New(c.DynamoDB, cfg.Table, rt.Random, rt.Now)
	tokens := token.NewGenerator(rt.Random)
	sessions := session.NewManager(db, tokens, session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime),
	}, rt.Now)
	relay := NewRelay(cfg, c, rt)
	reg := registration.New(registration.Deps{
		Settings: s, Store: db, Outbox: relay, Sessions: sessions, Hasher: hasher,
		Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	api := httpapi.New(httpapi.Deps{
		Settings:     s,
		Registration: reg,
		Verification: verification.New(verification.Deps{Store: db, Outbox: relay, Sessions: sessions, Hasher: hasher,
			Policy: s.PasswordPolicy, Random: rt.Random, Now: rt.Now}),
		Resend: verification.NewRequests(db, queue.New(c.SQS, cfg.MailQueueURL), s.ClientLimits.Resend, rt.Random, rt.Now),
		SignIn: signin.New(signin.Deps{Settings: s, Store: db, Sessions: sessions, Outbox: relay, Hasher: hasher,
			Random: rt.Random, Now: rt.Now, Log: rt.Log}),
		Cookies: httpapi.Cookies{Secure: cfg.CookieSecure},
		Log:     rt.Log,
		Now:     rt.Now,
	})
	return &System{API: api, Relay: relay, Store: db}, nil
}

// NewRelay wires only the outbox relay, for the scheduled function: it needs
// no use case, so it pays for none at cold start (no argon2 hasher).
func NewRelay(cfg config.Config, c Clients, rt Runtime) *outbox.Relay {
	return outbox.New(store.New(c.DynamoDB, cfg.Table, rt.Random, rt.Now), queue.New(c.SQS, cfg.MailQueueURL), rt.Now, rt.Log)
}

// NewMailer wires the mailer function's SQS consumer: it sends each mail at
// most once (the ledger in the table), never to a suppressed address, and
// carries out resend jobs.
func NewMailer(cfg config.Config, c Clients, rt Runtime) (*queue.Consumer, error) {
	return NewMailerWith(cfg, c, rt, sesmail.New(c.SES, cfg.ConfigurationSet))
}

// NewMailerWith is NewMailer around a given sender (tests wrap SES).
func NewMailerWith(cfg config.Config, c Clients, rt Runtime, sender mail.Sender) (*queue.Consumer, error) {
	s := cfg.Settings
	tpl, err := mail.LoadTemplates(s.Languages, s.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	db := store.New(c.DynamoDB, cfg.Table, rt.Random, rt.Now)
	m := mail.NewMailer(mail.MailerDeps{
		Templates: tpl, Sender: sender, Ledger: db,
		From: s.MailFrom, StoreName: s.StoreName, Now: rt.Now, Log: rt.Log,
	})
	linker := verification.NewLinker(verification.LinkerDeps{
		Store: db, Tokens: token.NewGenerator(rt.Random), Lifetime: time.Duration(s.VerificationTokenLifetime),
		Interval: time.Duration(s.Resend.Interval), PublicAPI: s.URLs.PublicAPI, Now: rt.Now, Log: rt.Log,
	})
	completer := registration.NewCompleter(registration.CompleterDeps{
		Settings: s, Store: db, Linker: linker, Outbox: mailerOutbox(cfg, c, rt), Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	return queue.NewConsumer(mail.NewWorker(m, map[mail.Kind]mail.Job{
		mail.ResendVerification:   verification.NewResender(linker),
		mail.VerificationLink:     verification.NewSignInLinker(linker),
		mail.CompleteRegistration: completer,
	}), rt.Log), nil
}

// mailerOutbox is how the mailer sends on the mails its jobs store (the
// store owner's notice of a completed registration): flushed at once when
// it knows the mail queue, else left to the outbox relay.
func mailerOutbox(cfg config.Config, c Clients, rt Runtime) registration.Outbox {
	if cfg.MailQueueURL == "" {
		return relayOnly{}
	}
	return NewRelay(cfg, c, rt)
}

// relayOnly leaves stored mails to the scheduled outbox relay.
type relayOnly struct{}

func (relayOnly) Flush(context.Context, []mail.Message) {}

// NewFeedback wires the ses-events function's handler.
func NewFeedback(cfg config.Config, c Clients, rt Runtime) *sesevents.Handler {
	return sesevents.New(mail.NewFeedback(store.New(c.DynamoDB, cfg.Table, rt.Random, rt.Now), rt.Now, rt.Log))
}

// Boot is a function's cold start: it loads the configuration from the
// environment (requiring what needs names), builds the AWS configuration once
// and every client from it (building a client makes no call), and returns
// the production runtime. It ends the process with an operator-readable
// message when any of that fails. Only mains call it.
func Boot(needs ...config.Need) (config.Config, Clients, Runtime) {
	cfg, err := config.Load(os.Getenv, needs...)
	Exit(err)
	// No per-call HTTP timeout: a timed-out SES send may have been accepted,
	// and retrying it would mail twice. Calls are bounded by the invocation's
	// context instead (see httpapi.Handler for the HTTP functions).
	aws, err := awsconfig.LoadDefaultConfig(context.Background())
	Exit(err)
	c := Clients{DynamoDB: dynamodb.NewFromConfig(aws), SQS: sqs.NewFromConfig(aws), SES: sesv2.NewFromConfig(aws)}
	return cfg, c, Production(cfg.LogLevel)
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
