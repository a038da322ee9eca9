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
// out. A suppressed address (a hard bounce or complaint) is never mailed,
// except an address-change link (package deliverability).
//
// Codes stay in the body. A mailed code (the 6-digit code of a validation
// or reset mail, the passwordless sign-in code) is a secret: the body shows
// it grouped ("123 456") in the HTML and text parts, never the subject or
// the HTML title, which mail clients show on lock screens and in
// notifications (`TestRenderCodes`); a validation or reset mail without a
// code says nothing of one. What a client typed and a notice shows (a
// passkey's name, a new sign-in's user agent and address) is escaped and
// defused like a customer's name (`TestRenderDefusesClientText`).
package mail
