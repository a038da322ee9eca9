package password

import (
	"encoding/base64"
	"strings"

	"github.com/openreg/registration/internal/password/legacy"
)

// An imported hash is stored in one of two forms beside our own argon2id
// PHC strings, and the sign-in that verifies it replaces it (Check reports
// rehash):
//
//   - $legacy$<format>$<salt>$<value> (base64url each): a slow format
//     (bcrypt, argon2, WordPress's bcrypt, Magento's Argon2ID13, PBKDF2 at
//     OWASP's iterations), kept as the platform made it and verified in
//     its own format;
//   - $wrap$<format>$<params>$<argon2id PHC>: a fast one (MD5, SHA-*,
//     phpass, thin PBKDF2), kept as argon2id of its digest beside what the
//     digest needs (legacy.Hash.Params), never the fast hash itself: a leak
//     of the table gains an attacker nothing over our own hashes.
const (
	legacyPrefix = "$legacy$"
	wrapPrefix   = "$wrap$"
)

var b64 = base64.RawURLEncoding

// Import is the stored form of an imported hash (see above); the legacy
// package's problem (legacy.Code) when it cannot be honoured.
func (h *Hasher) Import(in legacy.Input) (string, error) {
	parsed, err := legacy.Parse(in)
	if err != nil {
		return "", err
	}
	if !parsed.Fast() {
		return legacyPrefix + in.Format + "$" + b64.EncodeToString([]byte(in.Salt)) + "$" + b64.EncodeToString([]byte(in.Value)), nil
	}
	inner, err := h.Hash(parsed.Value())
	if err != nil {
		return "", err
	}
	return wrapPrefix + in.Format + "$" + b64.EncodeToString([]byte(parsed.Params())) + inner, nil
}

// Imported reports whether a stored hash is an imported one.
func Imported(encoded string) bool {
	return strings.HasPrefix(encoded, legacyPrefix) || strings.HasPrefix(encoded, wrapPrefix)
}

// verifyImported verifies pw against an imported hash; a match always
// asks for a rehash (the sign-in stores our own hash in its place).
func (h *Hasher) verifyImported(pw, encoded string) (ok, rehash bool, err error) {
	if rest, found := strings.CutPrefix(encoded, legacyPrefix); found {
		f := strings.Split(rest, "$")
		if len(f) != 3 {
			return false, false, ErrMalformedHash
		}
		salt, e1 := b64.DecodeString(f[1])
		value, e2 := b64.DecodeString(f[2])
		if e1 != nil || e2 != nil {
			return false, false, ErrMalformedHash
		}
		parsed, err := legacy.Parse(legacy.Input{Format: f[0], Value: string(value), Salt: string(salt)})
		if err != nil {
			return false, false, ErrMalformedHash
		}
		ok = parsed.Verify(pw)
		return ok, ok, nil
	}
	rest := strings.TrimPrefix(encoded, wrapPrefix)
	format, rest, _ := strings.Cut(rest, "$")
	params, inner, found := strings.Cut(rest, "$")
	raw, err := b64.DecodeString(params)
	if !found || err != nil {
		return false, false, ErrMalformedHash
	}
	parsed, err := legacy.FromParams(format, string(raw))
	if err != nil {
		return false, false, ErrMalformedHash
	}
	ok, _, err = h.Verify(parsed.Digest(pw), "$"+inner)
	return ok, ok && err == nil, err
}
