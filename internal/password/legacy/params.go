package legacy

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"strconv"
	"strings"
)

// Params is what a fast hash's Digest needs besides the password (its salt,
// rounds, versions), without the digest itself: a wrap keeps these beside
// argon2id of the digest, so the fast hash is not at rest. "" for a slow
// format.
func (h Hash) Params() string {
	if !h.Fast() {
		return ""
	}
	switch s := h.scheme.(type) {
	case phpass:
		return s.setting
	case magento2:
		return s.salt + ":" + strings.Join(strings.Split(s.raw, ":")[2:], ":")
	case nopCommerce:
		return strconv.Itoa(len(s.hash)) + ":" + s.salt
	case django:
		return strconv.Itoa(s.iter) + "$" + s.salt + "$" + strconv.Itoa(len(s.key))
	}
	return ""
}

// FromParams is the fast hash of format that Params described, able to
// make Digest (and nothing else: it holds no digest to verify against).
func FromParams(format, params string) (Hash, error) {
	var s scheme
	switch format {
	case PHPass:
		p, err := parsePHPass(params + strings.Repeat(".", 22))
		if err != nil {
			return Hash{}, err
		}
		s = p
	case Magento2:
		salt, versions, ok := strings.Cut(params, ":")
		if !ok {
			return Hash{}, Malformed
		}
		m, err := parseMagento2("00:" + salt + ":" + versions)
		if err != nil {
			return Hash{}, err
		}
		s = m
	case NopCommerce:
		n, salt, ok := strings.Cut(params, ":")
		sums := map[string]scheme{"40": nopCommerce{sum: sha1.New}, "64": nopCommerce{sum: sha256.New}, "128": nopCommerce{sum: sha512.New}}
		base, known := sums[n]
		if !ok || !known || salt == "" {
			return Hash{}, Malformed
		}
		nc := base.(nopCommerce)
		nc.salt = salt
		s = nc
	case PBKDF2SHA256:
		f := strings.Split(params, "$")
		if len(f) != 3 {
			return Hash{}, Malformed
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 16 || n > 64 {
			return Hash{}, Malformed
		}
		d, err := parseDjango("pbkdf2_sha256$" + f[0] + "$" + f[1] + "$" + strings.Repeat("A", (n+2)/3*4-padding(n)) + strings.Repeat("=", padding(n)))
		if err != nil {
			return Hash{}, err
		}
		s = d
	default:
		return Hash{}, UnknownFormat
	}
	if !s.fast() {
		return Hash{}, Malformed
	}
	return Hash{Format: format, scheme: s}, nil
}

// padding is how many "=" end the standard base64 of n bytes.
func padding(n int) int { return (3 - n%3) % 3 }
