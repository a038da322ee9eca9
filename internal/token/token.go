// Package token makes and recognises the opaque secrets the service hands
// out (email verification tokens, session tokens). A token is 256 bits from a
// CSPRNG, written as unpadded base64url; only its SHA-256 digest is stored, so
// a leaked table does not leak usable tokens. A plain hash (rather than a slow
// password hash) is right here because the secret has full entropy.
package token

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// Bytes is the token's entropy in bytes (256 bits).
const Bytes = 32

// encodedLen is the length of a token as text.
var encodedLen = base64.RawURLEncoding.EncodedLen(Bytes)

// Generator makes new tokens from a random source.
type Generator struct {
	random io.Reader
}

// NewGenerator returns a Generator reading random (crypto/rand.Reader in
// production; a fixed reader in tests).
func NewGenerator(random io.Reader) *Generator {
	return &Generator{random: random}
}

// New returns a fresh token and its digest for storage.
func (g *Generator) New() (plain, digest string, err error) {
	b := make([]byte, Bytes)
	if _, err := io.ReadFull(g.random, b); err != nil {
		return "", "", fmt.Errorf("token: read random: %w", err)
	}
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, Digest(plain), nil
}

// Digest returns the storage key of a token: hex SHA-256 of its text.
func Digest(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s could be a token this package made. Checking
// shape first means garbage never costs a database read.
func WellFormed(s string) bool {
	if len(s) != encodedLen {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == Bytes
}
