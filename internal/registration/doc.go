// Package registration is the register use case: it checks a request against
// the store's settings and stores it in one atomic write. Under Standard the
// account is created at once. Under double opt-in and approval the request
// stores a pending registration and looks nothing up, so its answer, timing
// and writes are the same for a new address, an address whose account never
// confirmed, and an address with a verified account; the mailer completes it
// (complete.go) off the request path.
//
// # Guarantees
//
// Registration reveals nothing and writes the same on every path. Under double opt-in and approval
// the request stores a pending registration carrying the job that completes it, its username's
// reservation, the end of the caller's session and the client's count in one write (a `PutItem`
// when there is nothing but the registration, else a transaction), and looks nothing up. The
// mailer completes it: a new account (unverified, with a link), a replacement of an unverified one
// (new link, older links void), or, for a verified account, the owner's "someone tried to
// register" notice (at most one an hour). Usernames are reserved by every attempt for as long as
// an unverified account would hold them, so `username_taken` never depends on the address
// (`TestUsernameReservationRevealsNoAddress`); registering and then signing in with your own
// password answers the same 401 for a free and a taken address
// (`TestRegisterThenSignInRevealsNothing`). Under `Standard` the account is created at once,
// uniquely (conditional key puts; fifty concurrent registrations create one account, tested), and
// a taken address is 409. Unverified accounts expire after `unverifiedAccountLifetime` (7 days):
// the customer and its key items carry the same TTL, and the code treats an expired key as free at
// that moment, whenever the table deletes it.
//
// Links cannot flood a mailbox; the newest registration wins (`TestLinksCannotFloodAMailbox`,
// `TestTheNewestRegistrationWins`). Whatever causes a verification link (registration,
// re-registration, resend, sign-in on an unverified account, the back office), one address gets at
// most one per `resend.interval` (`verification.Linker.Due`): a re-registration within it keeps
// the live link and mails nothing, and the link already mailed then confirms the newest
// registration. Six registrations in seconds mail one link, twenty racing ones one. Reset links
// and address changes have intervals of their own, so a registration never holds back or voids a
// reset link. Of two registrations of one unverified address, the one received last wins whatever
// order the mailer completes them in: the replacement's write is conditional on `receivedAt`, and
// an older one completes as `superseded`, changing nothing. The "someone tried to register" notice
// stays at most one an hour.
//
// What became of the mail, without a session and without a tell (`TestMailStatus`). The 202 carries
// a random `registrationId` (the pending registration's key, never the account's id) and
// `GET /v1/registrations/{id}` answers `pending`, `sent`, `bounced` or `complained` for
// StatusLifetime (24 h): pending until the mailer's ledger has the completion job's mail as sent
// (the mail goes out under the job's id), then the address's fate as SES reported it (the account's
// `emailStatus`, or the suppression list for an address that bounced before). A new and a taken
// address read the same items and answer alike: each gets a mail (the link or the owner's notice),
// and a bounce belongs to the address. The store's email checks (settings emailChecks, package
// emailcheck) run on a form otherwise valid, before any hashing, and refuse only where it asks.
package registration
