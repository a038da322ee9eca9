// Package outbox carries the work a committed change leaves behind: the
// mails it causes and the jobs the mailer function runs off the request
// path. A use case puts Messages in the write that commits its change (the
// store keeps them as outbox items in the same transaction); a Pipe moves
// each new outbox item to the mail queue; the mailer function's Dispatcher
// decodes each queued message and either hands it to the mailer (a mail) or
// runs its job's handler (a job), which may lead to one mail.
//
// A message's content has one Go type per kind. The kinds are registered
// explicitly in the composition root (internal/app/mailapp): the mails by
// package mail, each job by the package whose rules it runs (the VAT check
// by vat, a registration's completion by registration, the links by
// verification and myaccount, the erasure sweep by myaccount). A queued
// message of a kind nobody registered is an error, never silently dropped.
//
// # Guarantees
//
// A job runs once per message, and its mail is sent at most once. The
// Dispatcher claims the job's id in the ledger (the same ledger the mailer
// claims mails in) before running it, and settles the claim when the job
// needed no mail or when its mail, which takes the job's id, was sent; a
// failed run releases the claim so SQS's retry runs it again. A second
// delivery of a finished job finds its claim settled and is dropped
// (TestDispatcher). Jobs carry ids, never a link or token: the handler
// mints a link's token as its mail is sent, so no plain token is ever at
// rest in the table, the outbox, a queue or a dead-letter queue.
package outbox
