package password_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/openreg/registration/internal/password"
)

// cheap are parameters that keep tests fast; production uses OWASPParams.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// consumedByNewHasher is how many random bytes NewHasher reads before the
// first Hash: the dummy hash's 16-byte salt and 32-byte key.
const consumedByNewHasher = 16 + 32

var b64 = base64.RawStdEncoding

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

// newHasher returns a Hasher with params reading crypto/rand.
func newHasher(t testing.TB, params password.Params) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(params, rand.Reader)
	if err != nil {
		t.Fatalf("NewHasher(%+v): %v", params, err)
	}
	return h
}

// hash hashes pw and fails the test on error.
func hash(t testing.TB, h *password.Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(pw)
	if err != nil {
		t.Fatalf("Hash(%q): %v", pw, err)
	}
	return enc
}

// hashCheap returns a Hasher with the cheap parameters and its hash of pw.
func hashCheap(t *testing.T, pw string) (*password.Hasher, string) {
	t.Helper()
	h := newHasher(t, cheap)
	return h, hash(t, h, pw)
}

// fixedReader returns a reader whose first salt (after NewHasher's reads) is
// salt, and that ends right after it.
func fixedReader(t *testing.T, salt []byte) io.Reader {
	t.Helper()
	prefix := bytes.Repeat([]byte{0xA5}, consumedByNewHasher)
	return bytes.NewReader(append(prefix, salt...))
}

func TestHashProducesAPHCString(t *testing.T) {
	_, enc := hashCheap(t, "correct horse battery staple")

	m := phcPattern.FindStringSubmatch(enc)
	if m == nil {
		t.Fatalf("Hash() = %q, want a $argon2id$v=19$m=..,t=..,p=..$salt$key string", enc)
	}
	if got, want := m[1]+","+m[2]+","+m[3], "64,1,1"; got != want {
		t.Errorf("m,t,p = %s, want %s", got, want)
	}
	salt, err := b64.DecodeString(m[4])
	if err != nil {
		t.Fatalf("salt %q is not unpadded standard base64: %v", m[4], err)
	}
	if got, want := len(salt), 16; got != want {
		t.Errorf("salt length = %d bytes, want %d", got, want)
	}
	key, err := b64.DecodeString(m[5])
	if err != nil {
		t.Fatalf("key %q is not unpadded standard base64: %v", m[5], err)
	}
	if got, want := len(key), 32; got != want {
		t.Errorf("key length = %d bytes, want %d", got, want)
	}
}

func TestHashIsDeterministicForAFixedReader(t *testing.T) {
	salt := []byte("0123456789abcdef")
	pw := "Tr0ub4dor&3"
	params := password.Params{MemoryKiB: 64, Iterations: 2, Parallelism: 1}

	h, err := password.NewHasher(params, fixedReader(t, salt))
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	got := hash(t, h, pw)

	// Computed independently, so swapped memory/iteration arguments or a
	// different encoding would show.
	key := argon2.IDKey([]byte(pw), salt, params.Iterations, params.MemoryKiB, params.Parallelism, 32)
	want := "$argon2id$v=19$m=64,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$" + b64.EncodeToString(key)
	if got != want {
		t.Errorf("Hash(%q) =\n  %s\nwant\n  %s", pw, got, want)
	}

	t.Run("a second hasher with the same reader contents makes the same hash", func(t *testing.T) {
		h2, err := password.NewHasher(params, fixedReader(t, salt))
		if err != nil {
			t.Fatalf("NewHasher: %v", err)
		}
		if again := hash(t, h2, pw); again != got {
			t.Errorf("second Hash = %q, want %q", again, got)
		}
	})
}

func TestHashTwiceGivesDifferentSalts(t *testing.T) {
	h := newHasher(t, cheap)
	a, b := hash(t, h, "same password"), hash(t, h, "same password")
	if a == b {
		t.Fatalf("two hashes of the same password are equal: %q", a)
	}
	saltA := phcPattern.FindStringSubmatch(a)[4]
	saltB := phcPattern.FindStringSubmatch(b)[4]
	if saltA == saltB {
		t.Errorf("two hashes share the salt %q", saltA)
	}
	for _, enc := range []string{a, b} {
		if ok, _, err := h.Verify("same password", enc); err != nil || !ok {
			t.Errorf("Verify(%q) = %v, %v; want true, nil", enc, ok, err)
		}
	}
}

func TestVerify(t *testing.T) {
	const pw = "Grüße, Welt! 😀"
	h, enc := hashCheap(t, pw)

	tests := []struct {
		name   string
		pw     string
		wantOK bool
	}{
		{"the right password is accepted", pw, true},
		{"a wrong password is refused", "Grüße, Welt!", false},
		{"the empty password is refused", "", false},
		{"a password differing only in case is refused", strings.ToUpper(pw), false},
		{"the password with a trailing space is refused", pw + " ", false},
		{"the password in decomposed Unicode is refused (bytes are compared)", strings.Replace(pw, "ü", "u\u0308", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := h.Verify(tt.pw, enc)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if needsRehash {
				t.Errorf("needsRehash = true for a hash made with the current parameters")
			}
		})
	}
}

func TestVerifyAcceptsAShorterKeyAndSalt(t *testing.T) {
	h := newHasher(t, cheap)
	salt := []byte("8bytesal")
	key := argon2.IDKey([]byte("pw"), salt, 1, 64, 1, 16)
	enc := "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)

	ok, _, err := h.Verify("pw", enc)
	if err != nil || !ok {
		t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
	}
	ok, _, err = h.Verify("wrong", enc)
	if err != nil || ok {
		t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	const pw = "hunter2hunter2"
	_, enc := hashCheap(t, pw)

	tests := []struct {
		name    string
		current password.Params
		want    bool
	}{
		{"equal parameters need no rehash", cheap, false},
		{"more memory needs a rehash", password.Params{MemoryKiB: 128, Iterations: 1, Parallelism: 1}, true},
		{"less memory needs a rehash", password.Params{MemoryKiB: 32, Iterations: 1, Parallelism: 1}, true},
		{"more iterations need a rehash", password.Params{MemoryKiB: 64, Iterations: 2, Parallelism: 1}, true},
		{"other parallelism needs a rehash", password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHasher(t, tt.current)
			ok, needsRehash, err := h.Verify(pw, enc)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !ok {
				t.Errorf("ok = false; the stored parameters, not the current ones, must be used to verify")
			}
			if needsRehash != tt.want {
				t.Errorf("needsRehash = %v, want %v", needsRehash, tt.want)
			}
		})
	}

	t.Run("a wrong password against old parameters still reports the rehash need without ok", func(t *testing.T) {
		h := newHasher(t, password.Params{MemoryKiB: 128, Iterations: 1, Parallelism: 1})
		ok, needsRehash, err := h.Verify("wrong", enc)
		if err != nil || ok || !needsRehash {
			t.Errorf("Verify = %v, %v, %v; want false, true, nil", ok, needsRehash, err)
		}
	})
}

func TestVerifyMalformedHash(t *testing.T) {
	h := newHasher(t, cheap)
	salt := b64.EncodeToString([]byte("0123456789abcdef"))
	key := b64.EncodeToString(bytes.Repeat([]byte{7}, 32))
	phc := func(variant, version, params, salt, key string) string {
		return "$" + variant + "$" + version + "$" + params + "$" + salt + "$" + key
	}
	valid := phc("argon2id", "v=19", "m=64,t=1,p=1", salt, key)

	tests := []struct {
		name    string
		encoded string
	}{
		{"an empty string is malformed", ""},
		{"a plain-text password is malformed", "hunter2"},
		{"a bcrypt hash is malformed", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i is not argon2id", phc("argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"argon2d is not argon2id", phc("argon2d", "v=19", "m=64,t=1,p=1", salt, key)},
		{"an upper-case variant is malformed", phc("ARGON2ID", "v=19", "m=64,t=1,p=1", salt, key)},
		{"text before the first dollar is malformed", "x" + valid},
		{"a trailing dollar segment is malformed", valid + "$"},
		{"a missing version segment is malformed", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16 is malformed", phc("argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"a non-numeric version is malformed", phc("argon2id", "v=x", "m=64,t=1,p=1", salt, key)},
		{"an empty version is malformed", phc("argon2id", "", "m=64,t=1,p=1", salt, key)},
		{"parameters without p are malformed", phc("argon2id", "v=19", "m=64,t=1", salt, key)},
		{"parameters in another order are malformed", phc("argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"a negative memory is malformed", phc("argon2id", "v=19", "m=-64,t=1,p=1", salt, key)},
		{"zero iterations are malformed", phc("argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"zero parallelism is malformed", phc("argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"memory below 8 per lane is malformed", phc("argon2id", "v=19", "m=7,t=1,p=1", salt, key)},
		{"memory above 1 GiB is malformed", phc("argon2id", "v=19", "m=1048577,t=1,p=1", salt, key)},
		{"parallelism over 255 is malformed", phc("argon2id", "v=19", "m=4096,t=1,p=256", salt, key)},
		{"a salt that is not base64 is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", "!!!!!!!!!!!!", key)},
		{"a padded salt is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")), key)},
		{"a URL-alphabet salt is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", "____________", key)},
		{"an empty salt is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", "", key)},
		{"a seven-byte salt is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", b64.EncodeToString([]byte("1234567")), key)},
		{"a key that is not base64 is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", salt, "*"+key[1:])},
		{"an empty key is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
		{"a fifteen-byte key is malformed", phc("argon2id", "v=19", "m=64,t=1,p=1", salt, b64.EncodeToString(bytes.Repeat([]byte{7}, 15)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := h.Verify("anything", tt.encoded)
			if !errors.Is(err, password.ErrMalformedHash) {
				t.Errorf("Verify(%q) error = %v, want ErrMalformedHash", tt.encoded, err)
			}
			if ok || needsRehash {
				t.Errorf("Verify(%q) = %v, %v; want false, false with an error", tt.encoded, ok, needsRehash)
			}
		})
	}

	t.Run("the unmodified template is well-formed", func(t *testing.T) {
		if _, _, err := h.Verify("anything", valid); err != nil {
			t.Errorf("Verify(%q) = %v; the table's base case must be valid", valid, err)
		}
	})
}

func TestNewHasherErrors(t *testing.T) {
	tests := []struct {
		name   string
		params password.Params
		random io.Reader
		want   string
	}{
		{"invalid parameters are refused", password.Params{MemoryKiB: 64, Iterations: 0, Parallelism: 1}, rand.Reader, "iterations"},
		{"a failing reader is reported", cheap, iotest.ErrReader(errors.New("entropy gone")), "entropy gone"},
		{"a reader too short for the dummy hash is reported", cheap, bytes.NewReader(make([]byte, 47)), "read random"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := password.NewHasher(tt.params, tt.random)
			if err == nil {
				t.Fatalf("NewHasher = %v, nil; want an error", h)
			}
			if h != nil {
				t.Errorf("NewHasher returned a Hasher along with error %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestHashReportsAFailingReader(t *testing.T) {
	// Exactly what NewHasher needs, so the first Hash finds the reader empty.
	h, err := password.NewHasher(cheap, bytes.NewReader(make([]byte, consumedByNewHasher)))
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	got, err := h.Hash("pw")
	if !errors.Is(err, io.EOF) {
		t.Errorf("Hash error = %v, want one wrapping io.EOF", err)
	}
	if got != "" {
		t.Errorf("Hash = %q along with an error, want \"\"", got)
	}
}

func BenchmarkHashOWASP(b *testing.B) {
	h := newHasher(b, password.OWASPParams())
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyOWASP(b *testing.B) {
	h := newHasher(b, password.OWASPParams())
	enc := hash(b, h, "correct horse battery staple")
	for b.Loop() {
		if ok, _, err := h.Verify("correct horse battery staple", enc); err != nil || !ok {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}

// pacedClock is a clock that Check's verifications advance by a set cost
// each, and whose sleeps are recorded instead of waited.
type pacedClock struct {
	t      time.Time
	slept  []time.Duration
	verify time.Duration
}

func (c *pacedClock) now() time.Time {
	c.t = c.t.Add(c.verify / 2) // each Verify sits between two readings
	return c.t
}

func (c *pacedClock) sleep(d time.Duration) { c.slept = append(c.slept, d); c.t = c.t.Add(d) }

func TestCheckAnswersEveryStoredFormatAlike(t *testing.T) {
	h, current := hashCheap(t, "right")
	older := hash(t, newHasher(t, password.Params{MemoryKiB: 32, Iterations: 1, Parallelism: 1}), "right")
	tests := []struct {
		name       string
		pw, stored string
		ok, rehash bool
		malformed  bool
	}{
		{"the right password matches a current hash", "right", current, true, false, false},
		{"a wrong password does not", "wrong", current, false, false, false},
		{"a hash with older parameters matches and asks to be replaced", "right", older, true, true, false},
		{"an account without a password matches nothing, and is no error", "right", "", false, false, false},
		{"the empty password against no hash matches nothing", "", "", false, false, false},
		{"an unreadable stored hash matches nothing and is reported for the log", "right", "$argon2id$garbage", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Check(tt.pw, tt.stored)
			if ok != tt.ok || rehash != tt.rehash || errors.Is(err, password.ErrMalformedHash) != tt.malformed {
				t.Errorf("Check = %v, %v, %v; want %v, %v, malformed %v", ok, rehash, err, tt.ok, tt.rehash, tt.malformed)
			}
		})
	}
}

func TestCheckPadsToTheFloor(t *testing.T) {
	clock := &pacedClock{t: time.Unix(0, 0), verify: 40 * time.Millisecond}
	h := newHasher(t, cheap).Pace(clock.now, clock.sleep)
	floor := h.Floor()
	if floor <= 0 {
		t.Fatalf("floor = %v", floor)
	}
	clock.slept = nil
	for _, stored := range []string{"", hash(t, h, "right")} {
		clock.slept = nil
		start := clock.t
		_, _, _ = h.Check("right", stored)
		if took := clock.t.Sub(start); took < floor {
			t.Errorf("Check(%q) took %v, less than the floor %v", stored, took, floor)
		}
		if len(clock.slept) != 1 {
			t.Errorf("Check(%q) slept %v; a check faster than the floor pads once", stored, clock.slept)
		}
	}
	t.Run("a check slower than the floor does not sleep", func(t *testing.T) {
		clock.verify, clock.slept = 10*floor, nil
		_, _, _ = h.Check("right", "")
		if len(clock.slept) != 0 {
			t.Errorf("slept %v past the floor", clock.slept)
		}
	})
}

// BenchmarkCheck shows that a check takes the floor's time whatever is
// stored: a current hash, none (unknown login or invited account), and a
// hash with cheaper old parameters report about the same ns/op.
func BenchmarkCheck(b *testing.B) {
	h := newHasher(b, password.OWASPParams())
	stored := map[string]string{
		"current":        hash(b, h, "right"),
		"none":           "",
		"old-parameters": hash(b, newHasher(b, password.Params{MemoryKiB: 4096, Iterations: 1, Parallelism: 1}), "right"),
	}
	b.Logf("floor %v", h.Floor())
	for _, name := range []string{"current", "none", "old-parameters"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _, _ = h.Check("right", stored[name])
			}
		})
	}
}
