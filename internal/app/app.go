// Package app is the composition root: it builds every use case from a
// configuration and AWS clients. Each function's main, the local stack and
// the integration tests wire the system through here, so what is tested is
// what is deployed.
package app

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

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
	relay := outbox.New(db, queue.New(c.SQS, cfg.MailQueueURL), rt.Now, rt.Log)
	reg := registration.New(registration.Deps{
		Settings: s, Store: db, Outbox: relay, Sessions: sessions, Hasher: hasher,
		Tokens: tokens, Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	api := httpapi.New(httpapi.Deps{
		Settings:     s,
		Registration: reg,
		Verification: verification.New(db, rt.Now),
		SignIn:       signin.New(s, db, sessions, hasher, rt.Now, rt.Log),
		Cookies:      httpapi.Cookies{Secure: cfg.CookieSecure},
		Log:          rt.Log,
		Now:          rt.Now,
	})
	return &System{API: api, Relay: relay, Store: db}, nil
}

// NewMailer wires the mailer function's SQS consumer.
func NewMailer(cfg config.Config, c Clients, rt Runtime) (*queue.Consumer, error) {
	s := cfg.Settings
	tpl, err := mail.LoadTemplates(s.Languages, s.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	m := mail.NewMailer(tpl, sesmail.New(c.SES, cfg.ConfigurationSet), s.MailFrom, s.StoreName)
	return queue.NewConsumer(m, rt.Log), nil
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
