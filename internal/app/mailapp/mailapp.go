// Package mailapp wires the mailer function: the SQS consumer that sends
// each mail through SES at most once and carries out the mailer's jobs. It
// is apart from package app so that the HTTP functions, which never mail,
// do not link the SES client.
package mailapp

import (
	"net/http"
	"time"

	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/shopping"
	"github.com/openreg/registration/internal/signin"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/queue"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/sesmail"
	"github.com/openreg/registration/internal/store"
	"github.com/openreg/registration/internal/token"
	"github.com/openreg/registration/internal/vat"
	"github.com/openreg/registration/internal/verification"
)

// New wires the mailer function's SQS consumer on the function's table:
// it sends each mail at most once (the ledger in the table), never to a
// suppressed address, and carries out the jobs (completing registrations,
// minting links, checking VAT numbers, sweeping erased accounts).
func New(cfg config.Config, db store.API, ses sesmail.API, secrets captcha.Sources, rt app.Runtime) (*queue.Consumer, error) {
	return NewWith(cfg, app.NewStore(cfg, db, rt), secrets, rt, sesmail.New(ses, cfg.ConfigurationSet))
}

// Store is what the mailer's ledger and jobs read and write.
type Store interface {
	mail.Ledger
	verification.LinkStore
	registration.CompletionStore
	myaccount.Store
	signin.CodeStore
	shopping.Store
	vat.Store
}

// NewWith is New on a given store and sender (tests use memstore, or wrap
// SES).
func NewWith(cfg config.Config, st Store, secrets captcha.Sources, rt app.Runtime, sender mail.Sender) (*queue.Consumer, error) {
	s := cfg.Settings
	tpl, err := mail.LoadTemplates(s.Languages, s.DefaultLanguage)
	if err != nil {
		return nil, err
	}
	m := mail.NewMailer(mail.MailerDeps{
		Templates: tpl, Sender: sender, Ledger: st,
		From: s.MailFrom, StoreName: s.StoreName, Now: rt.Now, Log: rt.Log,
	})
	// Links carry a 6-digit code where the code keys are configured.
	var codes *code.Minter
	if hasher, guard := app.Codes(cfg, st, secrets, rt); hasher != nil {
		codes = code.NewMinter(hasher, guard, rt.Random)
	}
	linker := verification.NewLinker(verification.LinkerDeps{
		Store: st, Tokens: token.NewGenerator(rt.Random), Lifetime: time.Duration(s.VerificationTokenLifetime),
		Interval: time.Duration(s.Resend.Interval), PublicAPI: s.URLs.PublicAPI, Codes: codes, Now: rt.Now, Log: rt.Log,
	})
	// Completing a checkout registration hands the guest's cart over.
	shop := shopping.New(shopping.Deps{Settings: s, Store: st, Random: rt.Random, Now: rt.Now})
	completer := registration.NewCompleter(registration.CompleterDeps{
		Settings: s, Store: st, Linker: linker, HandOvers: shop, Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	links := myaccount.NewLinks(st, token.NewGenerator(rt.Random), myaccount.Settings{
		ResetLifetime: time.Duration(s.PasswordResetLifetime), EmailChangeLifetime: time.Duration(s.EmailChangeLifetime),
		Interval: time.Duration(s.Resend.Interval),
	}, s.URLs.PublicAPI, rt.Now).WithCodes(codes)
	var owner *outbox.Recipient
	if s.Vat.NotifyStoreOwner {
		owner = &outbox.Recipient{Email: s.StoreOwnerEmail, Language: s.OwnerLanguage(), StoreID: s.DefaultStoreID}
	}
	// VIES is asked over HTTPS, each call bounded by the VAT timeout.
	vies := vat.NewVIES(s.Vat.ViesURL, http.DefaultClient, time.Duration(s.Vat.Timeout))
	return queue.NewConsumer(outbox.NewDispatcher(Registry(Jobs{
		Linker: linker, Completer: completer, Links: links, VAT: vat.NewChecker(st, vies, owner, rt.Now, rt.Log),
		SignInJobs: signin.NewJobs(st, codes, token.NewGenerator(rt.Random), time.Duration(s.Resend.Interval), rt.Now),
	}), m, st, rt.Now, rt.Log), rt.Log), nil
}

// Jobs are the handlers of the mailer's jobs.
type Jobs struct {
	Linker    *verification.Linker
	Completer *registration.Completer
	Links     *myaccount.Links
	VAT       *vat.Checker
	// SignInJobs mails sign-in codes (with no code keys, none) and "new
	// sign-in" notices.
	SignInJobs *signin.Jobs
}

// Registry is every kind the mailer handles: the mails, and each job with
// the handler of the package whose rules it runs.
func Registry(j Jobs) *outbox.Registry {
	r := outbox.NewRegistry()
	mail.Register(r)
	outbox.Handle(r, j.Linker.Resend)
	outbox.Handle(r, j.Linker.MailLink)
	outbox.Handle(r, j.Completer.Run)
	outbox.Handle(r, j.Links.Reset)
	outbox.Handle(r, j.Links.ChangeEmail)
	outbox.Handle(r, j.Links.Sweep)
	outbox.Handle(r, j.VAT.Run)
	outbox.Handle(r, j.SignInJobs.Run)
	outbox.Handle(r, j.SignInJobs.NewSignIn)
	return r
}

// Holder is the mail queue's: a job that must wait is held back by
// changing its visibility (nil when the queue's URL is not configured).
func Holder(cfg config.Config, c aws.Config) queue.Holder {
	if cfg.MailQueueURL == "" {
		return nil
	}
	return queue.SQSHolder{QueueURL: cfg.MailQueueURL, Client: sqs.NewFromConfig(c, func(o *sqs.Options) {
		if e := cfg.AWS.Endpoint("SQS"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})}
}

// SES builds the SES v2 client, at the endpoint override if any.
func SES(a config.AWS, c aws.Config) *sesv2.Client {
	return sesv2.NewFromConfig(c, func(o *sesv2.Options) {
		if e := a.Endpoint("SESV2"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
}
