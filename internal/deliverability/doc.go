// Package deliverability acts on what the mail provider reports after a
// mail left: SES's hard bounces and complaints, as the ses-events function
// receives them (package sesevents).
//
// # Guarantees
//
// An address that hard-bounced or complained is suppressed: the mailer never mails it again, except
// the link of an address change (a customer may prove a once-dead address works again), and a
// completed address change to it lifts the suppression (`TestRecord`; the mailer's side in
// package mail). The account that has the address is marked in the same step (`emailStatus`
// `bounced` or `complained`), listed by the back office as `undeliverable`, shown to the customer by
// `GET /v1/customers/me`, and a `customer.email_undeliverable` event goes out that names no address.
// A completed address change clears the mark (package myaccount).
//
// Transient bounces (a full mailbox, greylisting) change nothing: they resolve themselves. A report
// is handled idempotently (EventBridge delivers at least once): an account marked already is not
// written again.
package deliverability
