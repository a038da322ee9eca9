// Package mail holds the mails the service sends, the templates that render
// them, and the Mailer that sends one. Producers never render mail: they put
// an outbox.Message in the write that commits their change, and the mailer
// function renders it, so a template fix reaches every queued mail. Mail
// knows nothing of jobs: the outbox's Dispatcher runs them and hands the
// mail a job leads to to the Mailer (SendClaimed).
//
// # Guarantees
//
// Each mail at most once. SQS and the Pipe deliver at least once. The mailer claims every message
// id in a ledger item (conditional put, with a lease) before calling SES and marks it sent after;
// a second delivery finds it sent and is dropped (`TestMailerSendsEachMessageOnce`). A failed
// send releases the claim so the retry can send. The one gap left: a mailer that dies after SES
// accepted the mail and before the claim is marked may send again once the lease (2 min) ran
// out. A suppressed address (a hard bounce or complaint) is never mailed.
package mail
