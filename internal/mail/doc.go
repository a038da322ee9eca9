// Package mail holds the mail messages the service sends, the templates that
// render them, and the mailer use case that turns a queued message into a
// sent email. Producers (registration, verification) never render mail; they
// record a Message in the outbox and the mailer renders it, so a template fix
// reaches every queued mail.
//
// # Guarantees
//
// Each mail at most once. SQS and the Pipe deliver at least once. The mailer claims every message
// id in a ledger item (conditional put, with a lease) before calling SES and marks it sent after;
// a second delivery finds it sent and is dropped. A failed send releases the claim so the retry
// can send. The one gap left: a mailer that dies after SES accepted the mail and before the claim
// is marked may send again once the lease (2 min) ran out.
package mail
