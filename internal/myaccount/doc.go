// Package myaccount is "My account": what a customer does with an account
// they have (or lost the password of). Forgotten passwords, password and
// address changes, profile updates, signing out everywhere, and the GDPR
// export and erasure.
//
// Every change is one conditional write of the account (account.Update): it is
// applied only if the account is still as it was read, so two changes never
// overwrite each other, and it carries the activity entry and the mails it
// causes, so a committed change always has them and a refused one none.
// Links (password reset, address change) are minted by the mailer, off the
// request path, so their plain tokens exist only in the mail and the answer
// to the request tells nothing about the account.
//
// # Guarantees
//
// Recovery is final (`internal/myaccount`, `TestRecoveryIsFinal`, `TestAChangeRacingARecoveryLoses`,
// `TestRecoveryEndsATakeover`). A password reset, a password change, "sign out everywhere" and a
// completed address change each void the pending address change and the reset link in their own
// write, and set the account's `recoveredAt`: an address-change job asked for before it (by an
// attacker's session, say) mints nothing when the mailer runs it, and a completed change's link is
// `token_invalid`. The times compared are the account's write versions (`customer.Later`), so
// instance clocks never decide. A reset link names the address it was mailed to and works only
// while the account still has it; a completed address change mails the old address an
// `email_changed` notice. Every change allowed by a session (and by a password) checks both again
// on the account as read before each attempt of its write, and the write is conditional on the
// account being that one and on the session item still existing: a change that loses a race to a
// reset, a password change, a sign-out or a sign-out everywhere is refused (401) and writes
// nothing, whichever the store sees first. Not covered yet: passkeys and device tokens (issue
// "Beyond passwords").
//
// A reset keeps only what the mailbox proved. A reset that verifies an account an anonymous
// registration created keeps the address (and the username): the profile, attributes, addresses,
// newsletter choices, VAT number, return path and the registration's consent log entries and
// waiting subscriptions go in the reset's write. What an operator supplied (back office; import
// later) is kept (`byOperator`). The confirm page's "Forgot your password?" mails a reset link to
// the holder of the live link, without typing the address
// (`TestResetOfAStrangersRegistrationKeepsOnlyTheAddress`; in Chromium, `TestBrowserFormPosts`).
//
// My account changes are one conditional write each. A password change, reset, address change,
// profile update, "sign out everywhere" and erasure each replace the customer item on the
// condition that its `updatedAt` is still the one read (a concurrent change makes the loser read
// again), with the login keys, the activity entry and the mails in the same transaction
// (`account.Update`, the one write path; `internal/store/account.go`). Sessions are revoked
// without finding them: the customer's `sessionsValidFrom` ends every session started at or before
// it (except `keptSession`, the one that changed the password), checked in the same `BatchGetItem`
// that reads the session. The sign-in throttle counts failures per account *and password* (its
// subject names a digest of the hash), so a reset or a change starts the account's counters afresh
// without deleting any; a password check for a change or an erasure is a sign-in attempt under the
// same counters (`signin.CheckPassword`), so it is no way round the lockout.
//
// Forgotten passwords reveal nothing. `POST /v1/password-resets` checks the shape of the address
// and the client's cap, stores a job and answers 202: the same writes for any address
// (`TestForgottenPassword` counts the items). The mailer looks the address up and mints the link
// (1 h, single use, a newer one voids the older, at most one mail per `resend.interval` per
// address). Using it sets the password under the policy, ends every session, mails a notice, and
// verifies an account that was still unverified (the link proves the mailbox, the password is
// chosen then).
//
// Address changes decide uniqueness at confirmation. The request checks the password and stores
// the job (the new address gets a link) and a notice to the old address with the new one masked;
// the answer is the same whether or not the new address is taken. Confirming releases the old key
// and claims the new one in the account's transaction (`attribute_not_exists` or expired), so of
// two accounts racing to one address exactly one wins and the other gets 409 `email_taken`
// (`TestEmailChange`). Until then the account keeps, and signs in with, its old address.
//
// Erasure is one transaction plus an idempotent sweep. `DELETE /v1/customers/me` (with the
// password) replaces the customer with a tombstone holding no personal data, releases its email
// and username keys (the address can register again at once) and ends every session, in one
// conditional transaction. The same write queues the sweep job and the confirmation mail; the
// mailer's sweep deletes the customer's sessions, activity entries and mails from its partition,
// and can run any number of times (a sweep that dies half-way is retried by the queue). The
// consent log stays under the customer id only, as evidence. Nothing in the table names the
// address after the sweep (`TestErasureLeavesNothingThatNamesTheAddress` scans every item): mails
// to or about the customer, the store owner's notices and VAT jobs included, live in the
// customer's partition; jobs a caller typed the address into (`POST /v1/password-resets`, resend)
// are keyed by the address's digest, which the erasure job carries to the sweep; the interval
// claims (`RESEND#`, `RESET#`, `NOTICE#`) are keyed by the digest too. The one exception is SES's
// suppression entry of an address that bounced or complained (kept so it is never mailed again).
// What ages out on its own, outside the table: point-in-time backups (35 days), CloudWatch logs
// (which carry ids and client addresses, never a customer's address), the mail and Pipe
// dead-letter queues (14 days), all within 35 days. `customer.registered` never carries the
// address (nobody proved the mailbox yet); `customer.verified` does.
//
// A customer sees their devices and ends any one of them (`TestDevices`, `TestCallBudgets`). `GET
// /v1/customers/me/sessions` lists the live sessions (when each began and was last used, the user
// agent and address it signed in from, which one is asking) from one Query of the customer's
// partition; a session's id there is derived from its digest (`session.IDOf`), never its token.
// `DELETE /v1/customers/me/sessions/{id}` ends one, with its `session_ended` entry and
// `customer.signed_out` event, in one write. A session's last use is written at most once an hour
// (`session.TouchInterval`), so "who am I" stays one read on most requests.
//
// Passkeys need the password again and go with the session that added them (`TestPasskeys`,
// `TestPasskeysOnTheStack`). Adding one asks for the password (an administrator acting as the
// customer cannot), excludes the customer's passkeys, and finishes against the customer's one
// pending challenge (stored as its SHA-256 only, 5 minutes, spent in the write that stores the
// passkey, with the `passkey_added` entry and a notice mail). A password reset, a password change
// and "sign out everywhere" remove, in their own write, the passkeys that the sessions they end had
// added (a change keeps those of the session it keeps).
package myaccount
