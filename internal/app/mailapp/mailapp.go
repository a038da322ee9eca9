// Package mailapp wires the mailer function: the SQS consumer that sends
// each mail through SES at most once and carries out the mailer's jobs. It
// is apart from package app so that the HTTP functions, which never mail,
// do not link the SES client.
package mailapp

import (
	"net/http"
	"time"

	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/shopping"

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

// New wires the mailer function's SQS consumer: it sends each mail at
// most once (the ledger in the table), never to a suppressed address, and
// carries out the jobs (completing registrations, minting links).
func New(cfg config.Config, db store.API, ses sesmail.API, rt app.Runtime) (*queue.Consumer, error) {
	return NewWith(cfg, db, rt, sesmail.New(ses, cfg.ConfigurationSet))
}

// NewWith is New around a given sender (tests wrap SES).
func NewWith(cfg config.Config, db store.API, rt app.Runtime, sender mail.Sender) (*queue.Consumer, error) {
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
	// Completing a checkout registration hands the guest's cart over.
	shop := shopping.New(shopping.Deps{Settings: s, Store: st, Random: rt.Random, Now: rt.Now})
	completer := registration.NewCompleter(registration.CompleterDeps{
		Settings: s, Store: st, Linker: linker, HandOvers: shop, Random: rt.Random, Now: rt.Now, Log: rt.Log,
	})
	links := myaccount.NewLinks(st, token.NewGenerator(rt.Random), myaccount.Settings{
		ResetLifetime: time.Duration(s.PasswordResetLifetime), EmailChangeLifetime: time.Duration(s.EmailChangeLifetime),
		Interval: time.Duration(s.Resend.Interval),
	}, s.URLs.PublicAPI, rt.Now)
	var owner *mail.Recipient
	if s.Vat.NotifyStoreOwner {
		owner = &mail.Recipient{Email: s.StoreOwnerEmail, Language: s.OwnerLanguage(), StoreID: s.DefaultStoreID}
	}
	// VIES is asked over HTTPS, each call bounded by the VAT timeout.
	vies := vat.NewVIES(s.Vat.ViesURL, http.DefaultClient, time.Duration(s.Vat.Timeout))
	return queue.NewConsumer(mail.NewWorker(m, map[mail.Kind]mail.Job{
		mail.ResendVerification:   verification.NewResender(linker),
		mail.VerificationLink:     verification.NewSignInLinker(linker),
		mail.CompleteRegistration: completer,
		mail.PasswordResetRequest: links.ResetJobs(),
		mail.EmailChangeRequest:   links.EmailChangeJobs(),
		mail.Erasure:              links.SweepJobs(),
		mail.VatCheckRequest:      vat.NewChecker(st, vies, owner, rt.Now, rt.Log),
	}), rt.Log), nil
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
