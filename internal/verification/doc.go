// Package verification confirms email addresses, the second step of double
// opt-in. An account becomes usable only when one person proves both the
// mailbox (the link's token) and the password: the one chosen at
// registration, typed on the confirm page, or, for an account created
// without one, chosen there. So whoever registered an address first cannot
// own the account once its real owner confirms it. Looking at a link
// changes nothing; only Confirm does.
//
// # Guarantees
//
// Confirmation proves mailbox and password together (no pre-hijacking). The confirm page asks for
// the password chosen at registration; `POST /v1/verify-email` checks the link and the password
// and, when both are right, verifies the address and signs the customer in, in one transaction
// (303 with the session cookie for the form, 200 with the session for JSON). A wrong password is
// `password_mismatch`; five spend the link. Whoever registered an address first cannot keep the
// account: a later registration of an address that is still unverified replaces the pending one
// (password, profile, consents), and only the mailbox owner gets links; a mailbox owner who does
// not know the password in force presses "Forgot your password?" on the confirm page, and the
// reset that follows keeps nothing the registrant typed (see Recovery below). Tested by
// `TestPreHijackingFails` (the first registrant's password is refused, the owner's works, the
// first registrant cannot sign in).
//
// Links: one live link per account, minted only in the mailer. A link's token is `<customer
// id>.<256-bit secret>`; only the secret's SHA-256 is stored, on the customer item, with the
// digests of the links it replaced. Each new link voids the older ones (`token_replaced`, 410),
// tested by `TestOldLinksStopWorking`. Jobs on the queue and in the outbox carry ids, never a
// link: the mailer mints the token while it sends the mail, under the job's ledger claim, so no
// plain token is ever at rest in the table, the outbox, SQS, the dead-letter queue or a log
// (`TestNoPlainTokenAtRest` scans every item). We chose minting in the mailer over a keyed
// derivation because it needs no secret key to manage, and a link issued twice by a redelivered
// job is prevented by the ledger claim.
//
// Resend without a probe. `POST /v1/verify-email/resend` checks only the shape of the address and
// a per-client cap, puts a job on the mail queue and answers 202; the mailer then looks the
// customer up and mails a fresh link only to an unverified account, at most once per interval per
// address. The answer and its timing are the same for every address.
//
// Links scanners cannot burn. `GET`/`HEAD /v1/verify-email` renders a page and reads nothing; only
// the button's `POST` confirms. The token (256 bits, stored as SHA-256) is used with a conditional
// write: once, unexpired, for that customer. The page sends `Referrer-Policy: same-origin` (the
// token never leaves for another site, and the page's own form says where it comes from), a strict
// CSP and `DENY` framing.
package verification
