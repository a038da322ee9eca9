package password

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	MemoryKiB   uint32 `json:"memoryKiB"`
	Iterations  uint32 `json:"iterations"`
	Parallelism uint8  `json:"parallelism"`
}

// OWASPParams is OWASP's minimum recommendation for argon2id
// (m=19 MiB, t=2, p=1), the production default.
func OWASPParams() Params {
	return Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}
}

// Validate rejects parameters argon2 cannot run with or that are
// unreasonably large for a Lambda function.
func (p Params) Validate() error {
	switch {
	case p.Iterations < 1:
		return errors.New("iterations must be at least 1")
	case p.Iterations > maxIterations:
		// Also bounds what a corrupted stored hash can make a sign-in cost.
		return fmt.Errorf("iterations must be at most %d", maxIterations)
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.MemoryKiB < 8*uint32(p.Parallelism):
		return fmt.Errorf("memoryKiB must be at least 8×parallelism (%d)", 8*uint32(p.Parallelism))
	case p.MemoryKiB > 1<<20:
		return errors.New("memoryKiB must be at most 1048576 (1 GiB)")
	}
	return nil
}

const (
	maxIterations = 64
	saltLen       = 16
	keyLen        = 32
)

// ErrMalformedHash means a stored hash is not an argon2id PHC string this
// package can read. It is a data problem, never a wrong password.
var ErrMalformedHash = errors.New("password: malformed argon2id hash")

// Hasher hashes and verifies passwords with argon2id in PHC string form:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
type Hasher struct {
	params Params
	random io.Reader
	// dummy is a hash no password matches, with the current parameters:
	// verifying against it makes an unknown login cost what a wrong
	// password costs.
	dummy string

	// The floor of Check: measured once, on first use.
	now       func() time.Time
	sleep     func(time.Duration)
	calibrate sync.Once
	floor     time.Duration
}

// NewHasher returns a Hasher producing hashes with params. random supplies
// salts (crypto/rand.Reader in production). It computes no hash: the dummy
// is a random salt and a random key in the current parameters' PHC string,
// so a cold start pays nothing for it, and verifying against it runs
// exactly one argon2id computation with those parameters.
func NewHasher(params Params, random io.Reader) (*Hasher, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	h := &Hasher{params: params, random: random, now: time.Now, sleep: time.Sleep}
	b := make([]byte, saltLen+keyLen)
	if _, err := io.ReadFull(random, b); err != nil {
		return nil, fmt.Errorf("password: read random: %w", err)
	}
	h.dummy = h.encode(b[:saltLen], b[saltLen:])
	return h, nil
}

// Hash returns the PHC string for pw with a fresh random salt.
func (h *Hasher) Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(h.random, salt); err != nil {
		return "", fmt.Errorf("password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, h.params.Iterations, h.params.MemoryKiB, h.params.Parallelism, keyLen)
	return h.encode(salt, key), nil
}

// encode is the PHC string of a salt and key under the current parameters.
func (h *Hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.params.MemoryKiB, h.params.Iterations, h.params.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether pw matches encoded, comparing in constant time, and
// whether encoded was made with other parameters than the current ones and
// should be replaced by a fresh Hash.
func (h *Hasher) Verify(pw, encoded string) (ok, needsRehash bool, err error) {
	if Imported(encoded) {
		return h.verifyImported(pw, encoded)
	}
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, p != h.params, nil
}

// Check is the one password check of sign-in, of the confirm page and of
// every change that asks for the password again. It reports whether pw
// matches encoded and whether encoded should be replaced by a fresh Hash
// (other parameters than the current ones).
//
// Whatever encoded is, a check takes the same time: an account without a
// password ("", invited or imported without one) and a stored hash this
// package cannot read (err is ErrMalformedHash, for the log; it matches
// nothing) cost one verification of the dummy, like an unknown login
// (Check(pw, "")); and every check, whatever its format, returns no
// earlier than a floor, the time of one verification with the current
// parameters measured on first use (Floor), so a hash made with cheaper
// parameters or a faster format answers no sooner than a current one or a
// login that does not exist. A hash made with costlier parameters takes
// its own, longer, time until the sign-in that rehashes it.
func (h *Hasher) Check(pw, encoded string) (ok, rehash bool, err error) {
	floor := h.Floor()
	start := h.now()
	defer func() {
		if rest := floor - h.now().Sub(start); rest > 0 {
			h.sleep(rest)
		}
	}()
	if encoded == "" {
		_, _, _ = h.Verify(pw, h.dummy)
		return false, false, nil
	}
	ok, rehash, err = h.Verify(pw, encoded)
	if err != nil {
		_, _, _ = h.Verify(pw, h.dummy)
		return false, false, err
	}
	return ok, rehash, nil
}

// floorMargin is what the floor adds to the slower of two measured
// verifications: the spread of one function instance's verifications
// under load stays inside it, so current hashes rarely outlast it.
const floorMargin = 1.25

// Floor is the least time a Check takes: measured on the first call (two
// verifications of the dummy, the slower one with a margin), then fixed
// for the life of the Hasher.
func (h *Hasher) Floor() time.Duration {
	h.calibrate.Do(func() {
		var slowest time.Duration
		for range 2 {
			start := h.now()
			_, _, _ = h.Verify("calibration", h.dummy)
			slowest = max(slowest, h.now().Sub(start))
		}
		h.floor = time.Duration(float64(slowest) * floorMargin)
	})
	return h.floor
}

// Pace replaces the clock and the sleep Check pads with (time.Now and
// time.Sleep by default), before the first Check; it returns h.
func (h *Hasher) Pace(now func() time.Time, sleep func(time.Duration)) *Hasher {
	h.now, h.sleep = now, sleep
	return h
}

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Params{}, nil, nil, ErrMalformedHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	if p.Validate() != nil {
		return Params{}, nil, nil, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
