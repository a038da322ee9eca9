// Package queue is the mailer's side of the mail queue: it turns an SQS batch into
// the mails and jobs it carries, handles them concurrently, and reports each
// failed record on its own so SQS retries only those.
//
// # Guarantees
//
// Failures stay contained. The mailer handles a batch of 10 concurrently and reports each failed
// record as a batch item failure: SES throttling one mail retries that mail only. A mail that
// keeps failing moves to the dead-letter queue after 5 receives (alarm), with every failure's
// reason in the mailer's log.
package queue
