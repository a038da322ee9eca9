package legacy

import (
	"crypto/subtle"
	"errors"
	"strings"
)

// The formats an import names.
const (
	Argon2ID        = "argon2id"
	Bcrypt          = "bcrypt"
	PHPass          = "phpass"
	WordPressBcrypt = "wordpress-bcrypt"
	Magento2        = "magento2"
	NopCommerce     = "nopcommerce"
	Shopware        = "shopware"
	PBKDF2SHA256    = "pbkdf2-sha256"
)

// Formats lists every format, in the contract's order.
var Formats = []string{Argon2ID, Bcrypt, PHPass, WordPressBcrypt, Magento2, NopCommerce, Shopware, PBKDF2SHA256}

// Problem is why an imported hash is refused: its stable code.
type Problem string

// The problems, as an import's skipped entries name them.
const (
	UnknownFormat Problem = "unknown_hash_format"
	Malformed     Problem = "malformed_hash"
	Weak          Problem = "weak_hash_format"
)

func (p Problem) Error() string { return "legacy: " + string(p) }

// Code is the stable code of err, "" when it is no Problem.
func Code(err error) string {
	var p Problem
	if errors.As(err, &p) {
		return string(p)
	}
	return ""
}

// Input is an imported hash as the operator sent it.
type Input struct {
	Format string `json:"format"`
	Value  string `json:"value"`
	Salt   string `json:"salt,omitempty"`
}

// Hash is a parsed imported hash.
type Hash struct {
	Format string
	scheme scheme
}

// scheme is one format's reading of a hash.
type scheme interface {
	// verify reports whether pw matches.
	verify(pw string) bool
	// fast reports whether the format costs too little to keep at rest.
	fast() bool
	// digest is the legacy hash of pw, as the format spells it (fast
	// formats only).
	digest(pw string) string
	// value is what a matching password's digest reproduces: the hash
	// as its platform stored it, without the salt and versions kept apart.
	value() string
}

// Parse reads an imported hash.
func Parse(in Input) (Hash, error) {
	if len(in.Value) > maxValue || len(in.Salt) > maxValue {
		return Hash{}, Malformed
	}
	var s scheme
	var err error
	switch in.Format {
	case Argon2ID:
		s, err = parsePHCArgon(in.Value, false)
	case Bcrypt:
		s, err = parseBcrypt(in.Value)
	case Shopware:
		if strings.HasPrefix(in.Value, "$argon2") {
			s, err = parsePHCArgon(in.Value, true)
		} else {
			s, err = parseBcrypt(in.Value)
		}
	case PHPass:
		s, err = parsePHPass(in.Value)
	case WordPressBcrypt:
		s, err = parseWordPressBcrypt(in.Value)
	case Magento2:
		s, err = parseMagento2(in.Value)
	case NopCommerce:
		s, err = parseNopCommerce(in.Value, in.Salt)
	case PBKDF2SHA256:
		s, err = parseDjango(in.Value)
	default:
		return Hash{}, UnknownFormat
	}
	if err != nil {
		return Hash{}, err
	}
	if in.Salt != "" && in.Format != NopCommerce {
		return Hash{}, Malformed // the salt is inside the value
	}
	return Hash{Format: in.Format, scheme: s}, nil
}

// maxValue bounds an imported hash and its salt.
const maxValue = 512

// Verify reports whether pw matches the hash, in its own format.
func (h Hash) Verify(pw string) bool { return h.scheme.verify(pw) }

// Fast reports whether the format is too fast to keep at rest: it is
// stored wrapped (argon2id of Digest).
func (h Hash) Fast() bool { return h.scheme.fast() }

// Digest is the legacy hash of pw as the format spells it: Digest(pw)
// equals Value() exactly when pw matches. For fast formats only ("" for
// slow ones, which verify on their own).
func (h Hash) Digest(pw string) string {
	if !h.scheme.fast() {
		return ""
	}
	return h.scheme.digest(pw)
}

// Value is what Digest reproduces for the right password: the hash as its
// platform stored it (Magento's without its salt and versions).
func (h Hash) Value() string { return h.scheme.value() }

// equal compares two strings in constant time (for equal lengths).
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
