// Package passkey holds the WebAuthn ceremonies of the storefronts'
// customers: adding a passkey to a signed-in account, signing in with one
// without typing a login (a discoverable credential), the relying party
// each storefront is, and the two records the store keeps, Credential and
// Challenge. The cryptography and the protocol checks are
// github.com/go-webauthn/webauthn's (v0.18.2); this package chooses the
// options, keeps challenges hashed, applies our clock, randomness and
// counter rule, and speaks apperr. It knows nothing of DynamoDB or HTTP.
//
// # Guarantees
//
// One relying party per storefront (`TestConfigFor`, `TestConfigForRefuses`). ConfigFor takes
// the RP ID from the storefront's host: its registrable domain (`shop.example.co.uk` →
// `example.co.uk`, `myshop.github.io` stays itself), in ASCII. `localhost` is `localhost`, and a
// host under it is its own RP ID (`shop.localhost`), as browsers treat `localhost` as a public
// suffix and refuse it as the RP ID of `shop.localhost`. An IP address, a public suffix, or a
// storefront on plain http anywhere but localhost is an error. Origins are the storefront's and the
// allowed origins a browser would let claim the RP ID (https, under the RP ID); others are left out.
//
// Challenges are stored hashed and never logged (`TestChallengesAreStoredHashed`). A Challenge
// keeps the hex SHA-256 of the 32 challenge bytes and a separate random ID (the challengeId the
// client echoes); the options carry the challenge itself, once. Finishing reads the challenge the
// client signed from its clientDataJSON, recomputes the digest and compares in constant time;
// only then does go-webauthn see the challenge, so its own comparison cannot fail and quote it.
// No error text names a challenge (`wantInvalidCredential` checks every refusal of
// `TestFinishRegistrationRefuses` and `TestFinishSignInRefuses`).
//
// A challenge finishes one ceremony of its own kind, here, within 5 minutes
// (`TestFinishRegistrationRefuses`, `TestFinishSignInRefuses`,
// `TestFinishRegistrationAcceptsAChallengeAMomentBeforeItExpires`). Finish* refuses an expired
// challenge, one of the other purpose, one issued for another relying party, and an answer to
// another challenge (digest mismatch). Single use is the store's part: it deletes the challenge
// with a conditional delete and finishes nothing whose delete failed.
//
// Every answer is verified by go-webauthn: clientDataJSON's type and origin (not cross-origin),
// the RP ID hash, user presence, the signature by the stored key (sign-in), a key algorithm among
// those offered and a "none" or valid attestation (registration), the user handle naming the
// credential's customer, backup eligibility unchanged. Tested with a software authenticator
// (passkeytest) for wrong origin, wrong RP ID, tampered signature, another key, swapped client
// data and ceremony type.
//
// The signature counter never goes back (`TestSignatureCounter`). When the stored or the presented
// counter is non-zero, the presented one must be greater, or the sign-in is refused with
// invalid_credential and a cause wrapping ErrCounterWentBack that names both counters (for the
// log). Synced passkeys report 0 every time and are accepted.
//
// A malformed WebAuthn payload is 400 `invalid_credential`, never a 5xx (`FuzzFinishRegistration`,
// `FuzzFinishSignIn`, `TestMalformedBodiesAreInvalidCredential`): every refusal of the client's
// answer has that code; bodies over MaxCredentialJSON are refused unparsed. Only a broken store
// (the Finder's own error, returned unchanged: `TestFinishSignInPassesAStoreFailureOn`) or a bug
// is anything else. The code's HTTP status lives in internal/httpapi's table.
//
// Passkeys are discoverable and not duplicated (`TestRegistrationOptions`, `TestSignInOptions`,
// `TestRegistrationExcludesExistingPasskeys`): creation options require a resident key, prefer
// user verification, ask for no attestation and exclude the customer's existing credentials;
// sign-in options list no credentials.
//
// A credential records the session that added it (Credential.AddedBySession, the session's
// digest), so a password reset, a password change or "sign out everywhere" can remove the passkeys
// that the sessions it ended had added.
//
// Garbage costs no read: WellFormedChallengeID, ParseCredentialID, and a user handle that is not a
// customer ID is refused before the Finder is called. FinishSignIn takes about 0.1 ms
// (`BenchmarkFinishSignIn`: 108 µs, 135 allocations on the 2-core build machine).
//
// # For the use cases
//
// Build Ceremonies per request from the store's settings (ConfigFor(urls.storefront,
// urls.allowedOrigins, storeName); New with crypto/rand.Reader and the clock). Store the Challenge
// Begin* returns (key: its ID; expiry: ExpiresAt), answer the options, and on finish delete it
// conditionally before calling Finish*. Throttle the options route per client. Registration: ask
// for the password (or a mailed code) first, write the Credential on the condition that its ID is
// new, and mail the notice. Sign-in: write the new counter back on the condition that the stored
// one is unchanged, log ErrCounterWentBack refusals, then start the session as a sign-in does.
package passkey
