// Package password holds the password policy a store configures and the
// argon2id hashing that protects stored passwords.
//
// # Guarantees
//
// Passwords take the same time whatever is stored (`password.Hasher.Check`, `BenchmarkCheck`).
// Sign-in, the confirm page and every change that asks for the password use one check: an unknown
// login and an account without a password (invited, 401 `invalid_credentials` like a wrong
// password, never a 500) verify the dummy hash, and every check ends no earlier than a floor
// measured on the hasher's first use (the slower of two verifications with the current parameters,
// ×1.25), so a hash with cheaper old parameters answers no sooner than a current one; it is
// rehashed on that sign-in. A hash with costlier parameters than the current ones takes its own
// longer time until then. On this machine at OWASP parameters the floor is 44.6 ms and a current
// hash, none, and old cheaper parameters all take 44.3–44.6 ms per check.
//
// Common and leaked passwords are refused, offline (`TestCommon`, `TestCommonSet`). Every new
// password (registration, change, reset, invitation) goes through Policy.Check, which refuses one
// on a bundled list of the 100,000 most common passwords (SecLists, MIT; common/README.md) or whose
// lower-case form is on it, with the field code `password_breached`. The list is 101,352 4-byte
// keys searched where they lie in the binary: no cold-start cost, about 1 in 43,000 strong
// passwords refused by a key collision. Where `passwordPolicy.breachedCheck` is "range", a password
// that passes everything else is also looked up in the Pwned Passwords range API by k-anonymity
// (Range: 5 hex characters of its SHA-1 leave, padding entries are ignored), bounded by 1.5 s; an
// outage or a slow answer refuses nothing (`TestRange`, `TestScreen`, `TestBreachedPasswords`).
//
// Secrets. Passwords: argon2id, OWASP parameters (m=19 MiB, t=2, p=1), PHC strings, constant-time
// compare, re-hashed on the next sign-in when the parameters change. Session and verification
// tokens are stored only as hashes. Cookies are `HttpOnly`, `Secure` (off only in the local
// stack), `SameSite=Lax`.
//
// Imported passwords (package legacy; `TestImportedHashes`). Hasher.Import stores another system's
// hash so its customer signs in with the old password: a slow format as it came ($legacy$…), a fast
// one only as argon2id of its digest beside the digest's salt and rounds ($wrap$…), so a leak of the
// table gains nothing over our own hashes. Check verifies either under the same floor, and a match
// asks for a rehash: the sign-in that verifies it stores our own hash instead.
package password
