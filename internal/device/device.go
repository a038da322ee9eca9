// Package device is OWASP's device cookie: a successful sign-in gives the
// device a token that says "this device signed in to this login before",
// signed with a key only the service holds, so that guessing from many
// addresses, which slows a login down for everyone, cannot keep its owner
// out. The sign-in use case (internal/signin) decides what a token is
// worth: one that verifies, for the login typed, issued after the account's
// last recovery and within its lifetime, whose device record has fewer than
// the allowed failures, skips the per-login gate (never the per-client
// counters).
//
// A token is "d1.<key id>.<payload>.<mac>": the payload (base64url) holds a
// digest of the login (never the login itself), the device's random id and
// the time it was issued; the mac is HMAC-SHA256 over everything before it
// with the key the key id names. Keys come from one secret document,
// {"current":"<id>","<id>":"<key>",…}: tokens are signed with the current
// key and verified with any key the document holds, so two keys are live
// during a rotation. Verification is constant-time and reads nothing.
package device

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxTokenLen bounds what is parsed: a longer cookie or header is no token.
const MaxTokenLen = 256

// minKeyLen is the least length of a signing key (bytes of its string).
const minKeyLen = 32

const (
	version    = "d1"
	subjectLen = 16
	idLen      = 16
	payloadLen = subjectLen + idLen + 8
)

// Keys are the signing keys: the current one signs, every one verifies.
type Keys struct {
	current string
	keys    map[string][]byte
}

// ParseKeys reads the secret document {"current":"<id>","<id>":"<key>",…}.
// Key ids are letters, digits, '-' and '_'; keys at least 32 characters.
func ParseKeys(doc string) (Keys, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return Keys{}, errors.New("device keys: the secret must be a JSON object of strings")
	}
	k := Keys{current: m["current"], keys: map[string][]byte{}}
	for id, key := range m {
		if id == "current" {
			continue
		}
		if !validID(id) {
			return Keys{}, fmt.Errorf("device keys: key id %q must be 1-32 letters, digits, '-' or '_'", id)
		}
		if len(key) < minKeyLen {
			return Keys{}, fmt.Errorf("device keys: key %q is shorter than %d characters", id, minKeyLen)
		}
		k.keys[id] = []byte(key)
	}
	if _, ok := k.keys[k.current]; !ok {
		return Keys{}, fmt.Errorf("device keys: \"current\" must name one of the keys, got %q", k.current)
	}
	return k, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Token is what a verified token says.
type Token struct {
	// ID is the device's random id (32 hex characters): its record on the
	// login is kept under it.
	ID       string
	IssuedAt time.Time
	KeyID    string
}

// Subject is what a token is bound to: a login as typed, normalised, and
// its kind ("email:ada@example.com"). Only its digest is in the token.
func subjectDigest(subject string) []byte {
	sum := sha256.Sum256([]byte("device-subject\x00" + subject))
	return sum[:subjectLen]
}

// Issue returns a new token for subject, for a device id read from random,
// issued at now.
func (k Keys) Issue(subject string, random io.Reader, now time.Time) (string, Token, error) {
	id := make([]byte, idLen)
	if _, err := io.ReadFull(random, id); err != nil {
		return "", Token{}, fmt.Errorf("device: read random: %w", err)
	}
	payload := make([]byte, 0, payloadLen)
	payload = append(payload, subjectDigest(subject)...)
	payload = append(payload, id...)
	payload = binary.BigEndian.AppendUint64(payload, uint64(now.Unix()))
	head := version + "." + k.current + "." + base64.RawURLEncoding.EncodeToString(payload)
	plain := head + "." + base64.RawURLEncoding.EncodeToString(mac(k.keys[k.current], head))
	return plain, Token{ID: hex.EncodeToString(id), IssuedAt: time.Unix(now.Unix(), 0).UTC(), KeyID: k.current}, nil
}

// Verify reports whether plain is a token these keys signed for subject;
// anything else (malformed, too long, another key, another login, a
// tampered byte) is false, never an error: a bad token is no token.
func (k Keys) Verify(plain, subject string) (Token, bool) {
	if plain == "" || len(plain) > MaxTokenLen {
		return Token{}, false
	}
	parts := strings.Split(plain, ".")
	if len(parts) != 4 || parts[0] != version || !encoded(parts[2]) || !encoded(parts[3]) {
		return Token{}, false
	}
	key, ok := k.keys[parts[1]]
	if !ok {
		return Token{}, false
	}
	got, err := strict.DecodeString(parts[3])
	if err != nil || !hmac.Equal(got, mac(key, strings.Join(parts[:3], "."))) {
		return Token{}, false
	}
	payload, err := strict.DecodeString(parts[2])
	if err != nil || len(payload) != payloadLen || !hmac.Equal(payload[:subjectLen], subjectDigest(subject)) {
		return Token{}, false
	}
	issued := int64(binary.BigEndian.Uint64(payload[subjectLen+idLen:]))
	return Token{ID: hex.EncodeToString(payload[subjectLen : subjectLen+idLen]), IssuedAt: time.Unix(issued, 0).UTC(), KeyID: parts[1]}, true
}

// encoded reports whether s holds base64url characters only: the decoder
// skips line breaks, which would give one token many spellings (the fuzzer
// found it; testdata/fuzz keeps the case).
func encoded(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// strict refuses non-canonical encodings, so one token has one spelling.
var strict = base64.RawURLEncoding.Strict()

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// Sign is the HMAC-SHA256 of msg under the current key, and that key's id:
// a keyed digest for other purposes than device tokens (package code keys
// its one-time codes with a key ring of this format).
func (k Keys) Sign(msg string) (keyID string, sum []byte) {
	return k.current, mac(k.keys[k.current], msg)
}

// SignWith is the HMAC-SHA256 of msg under key keyID, false when the ring
// has no such key (it was retired).
func (k Keys) SignWith(keyID, msg string) ([]byte, bool) {
	key, ok := k.keys[keyID]
	if !ok {
		return nil, false
	}
	return mac(key, msg), true
}
