// Package legacy reads the password hashes other shop systems made, so that
// their customers can be imported with their passwords and sign in as
// before (issue "Bring your customers").
//
// Parse reads an imported hash {"format","value","salt"?} and refuses what
// it cannot honour with a stable code: unknown_hash_format, malformed_hash,
// weak_hash_format (an unsalted fast hash: a leaked table of those is a
// lookup away from the passwords). A parsed Hash verifies a password in its
// own format (Verify), says whether that format is fast (Fast: MD5, SHA-*,
// phpass, PBKDF2 under OWASP's 600,000 iterations), and for a fast one
// computes the legacy hash of a password (Digest), which is what a wrap
// stores argon2id of, so that no fast hash is kept at rest.
//
// # Formats
//
//   - argon2id, and shopware's argon2id/argon2i: PHP's password_hash PHC strings ($argon2id$v=19$m=,t=,p=$salt$hash).
//   - bcrypt and shopware's bcrypt: $2a$, $2b$, $2y$ (PHP's name for $2b$).
//   - phpass: WordPress and WooCommerce's portable hashes, $P$ and $H$.
//   - wordpress-bcrypt: WordPress 6.8+, $wp$2y$…: bcrypt of base64(HMAC-SHA384 keyed "wp-sha384" over the trimmed password).
//   - magento2: hash:salt:version, version 0 MD5(salt+password), 1 SHA-256(salt+password), 2 Argon2ID13 (libsodium's
//     crypto_pwhash, interactive limits, the salt's first 16 bytes), 3_<seed>_<ops>_<mem> the same with its limits
//     spelled out, and upgraded hashes whose versions chain (…:1:2: SHA-256 first, then Argon2ID13 of its hex).
//   - nopcommerce: upper-case hex SHA-1, SHA-256 or SHA-512 of password+salt, the salt separate.
//   - pbkdf2-sha256: Django's pbkdf2_sha256$<iterations>$<salt>$<base64 hash>.
//
// # Guarantees
//
// Every format verifies the vectors its platform's own code made (`TestVectors`: testdata/vectors.json, made by
// testdata/vectors.py with passlib, bcrypt and argon2-cffi, and Magento's from Shopware's migration tests, each
// with its source), refuses a wrong password, and compares in constant time. Parse never panics and never accepts
// what Verify cannot read (`FuzzParse`). Costs are bounded: bcrypt cost ≤ 15, argon2 memory ≤ 256 MiB and time ≤ 10,
// PBKDF2 ≤ 10,000,000 iterations, phpass ≤ 2^20 rounds: an imported hash cannot make a sign-in run for minutes.
package legacy
