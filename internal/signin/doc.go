// Package signin signs customers in and out and answers "who am I". It is
// built so that an attacker learns nothing about which logins exist or what
// state an account is in: an unknown login, a wrong password and a right
// password on an account that cannot sign in take the same path, the same
// time and the same throttle. Failures are counted per login and client
// (a guessing client is locked out of that login), per client (spraying) and
// per login across clients (slowed, never locked against its owner).
//
// # Guarantees
//
// Owners get in during attacks (`internal/device`, `internal/signin/device.go`,
// `TestOwnersGetInDuringAttacks`, `TestDeviceTrust`). A successful sign-in gives the device a
// token (`cr_device`: HttpOnly, Secure outside local, `Path=/v1/sessions`, 180 days; `deviceToken`
// in the body for callers that get the session token, sent back as `X-Device-Token`),
// HMAC-SHA256-signed with a key from the key ring (`deviceTrust.secret`; the token names its key,
// and every key in the ring verifies, so two live during a rotation), bound to a digest of the
// login as typed, and records the device on the login's key (at most `maxPerLogin`, the oldest
// forgotten). A right password from a device whose token verifies for that login, was issued after
// the account's last recovery (reset, password change, sign-out everywhere, address change) and
// within its lifetime, and that has failed fewer than `maxFailures` times, skips the per-login
// gate and its CAPTCHA; the per-login-and-client and per-client counters still apply, and so does
// a counter of the device's own failures in the attempt's write, so guesses sent at once from a
// stolen device token stop at `maxFailures` too
// (`TestConcurrentGuessesFromAStolenDeviceStopAtItsLimit`). With twelve addresses guessing, the
// owner's device signs in at once while a new device waits. A forged, expired, other login's or
// malformed token is ignored, never refused. What it costs: no extra DynamoDB call (the devices
// ride on the login key every sign-in reads; `TestCallBudgets` unchanged), one more item in the
// success's transaction when a new device is recorded (and in a failure's from a known device), an
// HMAC, and one read of the key ring per function instance every 5 minutes. Not covered: an
// attacker who holds the owner's device token and password; a login whose owner never signed in
// from the device before the attack.
//
// No account enumeration. Under double opt-in or approval, registering a taken address answers
// exactly like a new one, and the owner gets a "someone tried to register with your address" mail.
// The password is hashed before the uniqueness check in both cases, and the taken-address path
// looks nothing up: it stores a job that the mailer turns into the owner's notice. Sign-in answers
// `invalid_credentials` for an unknown login, a wrong password, and a right password on an account
// that is unverified, awaiting approval or deactivated: every attempt reads the login key and the
// account, runs one argon2id verification (a dummy hash when there is no account) and ends in one
// transaction. A right password on an unverified account also mails a fresh link (at most one per
// resend interval). `revealAccountState: true` brings back 403 `email_not_verified` /
// `pending_approval`, at the cost of letting anyone who registers an address with their own
// password learn whether it had an account.
//
// Passwordless sign-in reveals nothing and is one read and one write (`TestSignInByCode`,
// `TestCallBudgets`, `TestEveryRouteInProcess`). `POST /v1/sign-in-codes` answers 202 with the same
// writes for any address; the mailer (CodeMailer) mails an active account a 6-digit code that lives 15
// minutes, at most one per resend interval and five a day (package code). The code's keyed digest
// lives on the email key, beside the rest of the sign-in view, so `POST /v1/sessions`
// `{"login","code"}` reads one item, and spends the code in the write that starts the session (of two
// racing sign-ins with one code, one wins). It passes the same per-client and per-login counters as a
// password, plus the code counters; a wrong, unknown or spent code is `code_invalid`, counted on the
// address. `signIn.emailCodes: false` turns it off.
//
// A new device is news to the account's owner (`TestNewSignInNotice`). A sign-in that gives a device
// token to a device the login had not seen, while it knows others, queues a "new sign-in" notice
// (when, the user agent and address, what to do if it was not them) in the sign-in's own write,
// at most one a day per login (the key notes `noticedAt`); the login's first device is no news.
//
// A passkey signs in usernameless in one read and one write (`TestPasskeys`, `TestCallBudgets`):
// the request options name a stored challenge (single use, 5 minutes), the answer's user handle
// and credential id make one BatchGetItem of challenge, passkey and customer, and the write that
// starts the session spends the challenge and moves the signature counter on the condition that it
// is still the one read. A counter that does not increase is refused and logged when either counter
// is non-zero (package passkey). It skips the per-login throttle, not the per-client one; the options
// route is counted per client.
package signin
