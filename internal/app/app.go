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
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/httpapi"
	"github.com/openreg/registration/internal/mail"
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
	Store *store.Store
}

// NewSystem wires the HTTP use cases on the table. They talk to DynamoDB
// only: the mail they cause is stored in the outbox in the same write, and
// the table's stream carries it to the mailer.
func NewSystem(cfg config.Config, db store.API, rt Runtime) (*System, error) {
	s := cfg.Settings
	hasher, err := password.NewHasher(s.PasswordHashing, rt.Random)
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	st := store.New(db, cfg.Table, rt.Random, rt.Now)
	tokens := token.NewGenerator(rt.Random)
	sessions := session.NewManager(st, tokens, session.Lifetimes{
		Default: time.Duration(s.SessionLifetime), RememberMe: time.Duration(s.RememberMeLifetime),
	}, rt.Now)
	reg := registration.New(registration.Deps{
		Settings: s, Store: st, Sessions: sessions, Hasher: hasher,
		Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	api := httpapi.New(httpapi.Deps{
		Settings:     s,
		Registration: reg,
		Verification: verification.New(verification.Deps{Store: st, Sessions: sessions, Hasher: hasher,
			Policy: s.PasswordPolicy, Random: rt.Random, Now: rt.Now}),
		Resend: verification.NewRequests(st, s.ClientLimits.Resend, rt.Random, rt.Now),
		SignIn: signin.New(signin.Deps{Settings: s, Store: st, Sessions: sessions, Hasher: hasher,
			Random: rt.Random, Now: rt.Now, Log: rt.Log}),
		Cookies: httpapi.Cookies{Secure: cfg.CookieSecure},
		Log:     rt.Log,
		Now:     rt.Now,
	})
	return &System{API: api, Store: st}, nil
}

// NewMailer wires the mailer function's SQS consumer: it sends each mail at
// most once (the ledger in the table), never to a suppressed address, and
// carries out the jobs (completing registrations, minting links).
func NewMailer(cfg config.Config, db store.API, ses sesmail.API, rt Runtime) (*queue.Consumer, error) {
	return NewMailerWith(cfg, db, rt, sesmail.New(ses, cfg.ConfigurationSet))
}

// NewMailerWith is NewMailer around a given sender (tests wrap SES).
func NewMailerWith(cfg config.Config, db store.API, rt Runtime, sender mail.Sender) (*queue.Consumer, error) {
	s := cfg.Settings
	tpl, err := mail.LoadTemplates(s.Languages, s.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	st := store.New(db, cfg.Table, rt.Random, rt.Now)
	m := mail.NewMailer(mail.MailerDeps{
		Templates: tpl, Sender: sender, Ledger: st,
		From: s.MailFrom, StoreName: s.StoreName, Now: rt.Now, Log: rt.Log,
	})
	linker := verification.NewLinker(verification.LinkerDeps{
		Store: st, Tokens: token.NewGenerator(rt.Random), Lifetime: time.Duration(s.VerificationTokenLifetime),
		Interval: time.Duration(s.Resend.Interval), PublicAPI: s.URLs.PublicAPI, Now: rt.Now, Log: rt.Log,
	})
	completer := registration.NewCompleter(registration.CompleterDeps{
		Settings: s, Store: st, Linker: linker, Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	return queue.NewConsumer(mail.NewWorker(m, map[mail.Kind]mail.Job{
		mail.ResendVerification:   verification.NewResender(linker),
		mail.VerificationLink:     verification.NewSignInLinker(linker),
		mail.CompleteRegistration: completer,
	}), rt.Log), nil
}

// NewFeedback wires the ses-events function's handler.
func NewFeedback(cfg config.Config, db store.API, rt Runtime) *sesevents.Handler {
	return sesevents.New(mail.NewFeedback(store.New(db, cfg.Table, rt.Random, rt.Now), rt.Now, rt.Log))
}

// Boot is a function's cold start: it loads the configuration from the
// environment (requiring what needs names) and the AWS configuration (from
// which main builds only the clients its function uses; building a client
// makes no call), and returns the production runtime. It ends the process
// with an operator-readable message when any of that fails. Only mains call
// it.
func Boot(needs ...config.Need) (config.Config, aws.Config, Runtime) {
	cfg, err := config.Load(os.Getenv, needs...)
	Exit(err)
	// No per-call HTTP timeout: a timed-out SES send may have been accepted,
	// and retrying it would mail twice. Calls are bounded by the invocation's
	// context instead (see httpapi.Handler for the HTTP functions).
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	Exit(err)
	return cfg, awsCfg, Production(cfg.LogLevel)
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
