// Package code makes and checks the 6-digit one-time codes mailed beside a
// link (email verification, password reset) or alone (passwordless
// sign-in), for customers on another device or in an app.
//
// A code is stored only as a keyed digest (HMAC-SHA256 under a key ring the
// stack generates in Secrets Manager, CODE_KEYS_SECRET): with a million
// possible codes, a plain or salted hash would fall to anyone who can read
// the table, a keyed one does not. The digest is bound to its purpose, its
// customer and the link it was mailed with, so a code dies with its link:
// a newer link, a used link, a spent link all take their code along.
//
// # Guarantees
//
// Guessing is bounded per address, not per code (`TestCodes`, `TestCodeGuessing`): every wrong,
// unknown or spent code counts on one counter of the address (5 a day); the fifth voids every code
// the address has (`customer.Customer.CodesVoidBefore`), and every one of these cases answers the
// same 400 `code_invalid`. At most 5 codes a day are mailed to an address (a link mailed past that
// carries none). With 5 guesses a day among 10^6 codes, a guesser's chance is at most 5 in a
// million a day (10 across a window's edge), about 0.2 % a year against one address.
package code

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/device"
)

// Length is the digits of a code.
const Length = 6

// New returns a code: 6 decimal digits, uniform (rejection sampling).
func New(random io.Reader) (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(random, b[:]); err != nil {
			return "", fmt.Errorf("code: %w", err)
		}
		// 4,294,000,000 is the largest multiple of 10^6 below 2^32.
		if v := binary.BigEndian.Uint32(b[:]); v < 4_294_000_000 {
			return fmt.Sprintf("%06d", v%1_000_000), nil
		}
	}
}

// Normalize reads a code as a customer typed it ("123 456", "123-456"):
// false for anything but 6 ASCII digits.
func Normalize(typed string) (string, bool) {
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", false
		}
		if b.Len() > Length {
			return "", false
		}
	}
	if b.Len() != Length {
		return "", false
	}
	return b.String(), true
}

// The purposes a code is bound to.
const (
	Verify = "verify"
	Reset  = "reset"
	SignIn = "signin"
)

// Keyring yields the key ring (device.Keyring reads it from its secret).
type Keyring interface {
	Keys(ctx context.Context) (device.Keys, error)
}

// Hasher makes and checks the keyed digests of codes.
type Hasher struct{ ring Keyring }

// NewHasher returns a Hasher over ring.
func NewHasher(ring Keyring) *Hasher { return &Hasher{ring: ring} }

// ErrNoKeys: the key ring could not be read; no code can be made or
// checked until it can.
var ErrNoKeys = errors.New("code: the key ring is unavailable")

func message(purpose, customerID, linkDigest, plain string) string {
	return purpose + "\x00" + customerID + "\x00" + linkDigest + "\x00" + plain
}

// Digest is what is stored of plain, a code for purpose mailed to
// customerID with the link of linkDigest: "<key id>.<hex HMAC>".
func (h *Hasher) Digest(ctx context.Context, purpose, customerID, linkDigest, plain string) (string, error) {
	keys, err := h.ring.Keys(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoKeys, err)
	}
	id, sum := keys.Sign(message(purpose, customerID, linkDigest, plain))
	return id + "." + hex.EncodeToString(sum), nil
}

// Match reports whether typed is the code stored as digest (in constant
// time). A digest under a retired key, or none, matches nothing.
func (h *Hasher) Match(ctx context.Context, purpose, customerID, linkDigest, typed, digest string) (bool, error) {
	plain, ok := Normalize(typed)
	id, want, found := strings.Cut(digest, ".")
	if !ok || !found {
		return false, nil
	}
	keys, err := h.ring.Keys(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrNoKeys, err)
	}
	sum, ok := keys.SignWith(id, message(purpose, customerID, linkDigest, plain))
	wantSum, err := hex.DecodeString(want)
	return ok && err == nil && hmac.Equal(sum, wantSum), nil
}

// Minter puts a code beside the links the mailer mints, within the
// address's daily bound. A nil Minter mints none (no key ring configured).
type Minter struct {
	hasher *Hasher
	guard  *Guard
	random io.Reader
}

// NewMinter returns a Minter.
func NewMinter(h *Hasher, g *Guard, random io.Reader) *Minter {
	return &Minter{hasher: h, guard: g, random: random}
}

// Add mints a code for purpose beside link (mailed to the normalised
// address emailKey of customerID), stores its digest on the link, and
// returns it to mail; "" when none goes (no Minter, or the address had its
// MailedPerDay codes today).
func (m *Minter) Add(ctx context.Context, purpose, customerID, emailKey string, link *customer.Link) (string, error) {
	plain, err := m.Plan(ctx, emailKey)
	if err == nil {
		err = m.Seal(ctx, purpose, customerID, link, plain)
	}
	return plain, err
}

// Plan is the first half of Add, for a link minted in a retried write:
// the code to mail (counted on the address's daily bound), "" when none
// goes.
func (m *Minter) Plan(ctx context.Context, emailKey string) (string, error) {
	if m == nil {
		return "", nil
	}
	if ok, err := m.guard.MayMail(ctx, emailKey); err != nil || !ok {
		return "", err
	}
	return New(m.random)
}

// Seal is Add's second half: it stores plain's digest on link (nothing
// when plain is "").
func (m *Minter) Seal(ctx context.Context, purpose, customerID string, link *customer.Link, plain string) error {
	if m == nil || plain == "" {
		return nil
	}
	var err error
	link.Code, err = m.hasher.Digest(ctx, purpose, customerID, link.Digest, plain)
	return err
}

// Check reports whether typed is the live code of link (for purpose,
// customerID), for an account whose codes were voided before voidBefore.
func (h *Hasher) Check(ctx context.Context, purpose, customerID string, link *customer.Link, voidBefore, now time.Time, typed string) (bool, error) {
	if !link.CodeLive(now, voidBefore) {
		return false, nil
	}
	return h.Match(ctx, purpose, customerID, link.Digest, typed, link.Code)
}
