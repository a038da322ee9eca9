package legacy

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// The bounds of an imported hash's cost: past them Parse says malformed,
// so that no imported hash makes a sign-in run for minutes.
const (
	maxBcryptCost     = 15
	maxArgonMemKiB    = 256 * 1024
	maxArgonTime      = 10
	maxArgonThreads   = 16
	maxPBKDF2Iter     = 10_000_000
	maxPHPassLog2     = 20
	owaspPBKDF2SHA256 = 600_000 // OWASP's 2023 guidance: fewer is fast
)

// argonPHC is an argon2id (or argon2i) hash in PHC form, as PHP's
// password_hash and our own hasher write it.
type argonPHC struct {
	raw       string
	i         bool // argon2i
	mem, time uint32
	threads   uint8
	salt, key []byte
}

func parsePHCArgon(v string, allowI bool) (scheme, error) {
	parts := strings.Split(v, "$")
	if len(parts) != 6 || parts[0] != "" || (parts[1] != "argon2id" && !(allowI && parts[1] == "argon2i")) || parts[2] != "v=19" {
		return nil, Malformed
	}
	a := argonPHC{raw: v, i: parts[1] == "argon2i"}
	var p int
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &a.mem, &a.time, &p); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", a.mem, a.time, p) != parts[3] {
		return nil, Malformed
	}
	if a.mem < 8 || a.mem > maxArgonMemKiB || a.time < 1 || a.time > maxArgonTime || p < 1 || p > maxArgonThreads {
		return nil, Malformed
	}
	a.threads = uint8(p)
	var err1, err2 error
	a.salt, err1 = base64.RawStdEncoding.Strict().DecodeString(parts[4])
	a.key, err2 = base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(a.salt) < 8 || len(a.key) < 16 || len(a.key) > 64 {
		return nil, Malformed
	}
	return a, nil
}

func (a argonPHC) verify(pw string) bool {
	var got []byte
	if a.i {
		got = argon2.Key([]byte(pw), a.salt, a.time, a.mem, a.threads, uint32(len(a.key)))
	} else {
		got = argon2.IDKey([]byte(pw), a.salt, a.time, a.mem, a.threads, uint32(len(a.key)))
	}
	return hmac.Equal(got, a.key)
}
func (argonPHC) fast() bool           { return false }
func (argonPHC) digest(string) string { return "" }
func (a argonPHC) value() string      { return a.raw }

// bcryptHash is a bcrypt hash; PHP's $2y$ is $2b$ by another name.
type bcryptHash struct {
	raw  string
	hash []byte // as x/crypto/bcrypt reads it ($2a$)
}

func parseBcrypt(v string) (scheme, error) {
	if len(v) != 60 || !(strings.HasPrefix(v, "$2a$") || strings.HasPrefix(v, "$2b$") || strings.HasPrefix(v, "$2y$")) {
		return nil, Malformed
	}
	h := []byte("$2a$" + v[4:])
	cost, err := bcrypt.Cost(h)
	if err != nil || cost > maxBcryptCost {
		return nil, Malformed
	}
	return bcryptHash{raw: v, hash: h}, nil
}

func (b bcryptHash) verify(pw string) bool {
	// PHP's crypt reads only the first 72 bytes of a password; x/crypto
	// refuses longer ones instead.
	if len(pw) > 72 {
		pw = pw[:72]
	}
	return bcrypt.CompareHashAndPassword(b.hash, []byte(pw)) == nil
}
func (bcryptHash) fast() bool           { return false }
func (bcryptHash) digest(string) string { return "" }
func (b bcryptHash) value() string      { return b.raw }

// wordPressBcrypt is WordPress 6.8's $wp$ hash: bcrypt of the base64 of
// HMAC-SHA384, keyed "wp-sha384", over the trimmed password.
type wordPressBcrypt struct {
	raw   string
	inner bcryptHash
}

func parseWordPressBcrypt(v string) (scheme, error) {
	if !strings.HasPrefix(v, "$wp$") {
		return nil, Malformed
	}
	inner, err := parseBcrypt(v[3:])
	if err != nil {
		return nil, err
	}
	return wordPressBcrypt{raw: v, inner: inner.(bcryptHash)}, nil
}

func (w wordPressBcrypt) verify(pw string) bool {
	mac := hmac.New(sha512.New384, []byte("wp-sha384"))
	mac.Write([]byte(strings.Trim(pw, " \t\n\r\x00\x0b"))) // PHP's trim()
	return w.inner.verify(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
func (wordPressBcrypt) fast() bool           { return false }
func (wordPressBcrypt) digest(string) string { return "" }
func (w wordPressBcrypt) value() string      { return w.raw }

// phpass is the portable hash of phpass (WordPress before 6.8,
// WooCommerce): 2^n rounds of MD5.
type phpass struct {
	raw, setting, salt string
	rounds             int
}

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func parsePHPass(v string) (scheme, error) {
	if len(v) != 34 || !(strings.HasPrefix(v, "$P$") || strings.HasPrefix(v, "$H$")) {
		return nil, Malformed
	}
	log2 := strings.IndexByte(itoa64, v[3])
	if log2 < 7 || log2 > maxPHPassLog2 {
		return nil, Malformed
	}
	for i := 4; i < 34; i++ {
		if strings.IndexByte(itoa64, v[i]) < 0 {
			return nil, Malformed
		}
	}
	return phpass{raw: v, setting: v[:12], salt: v[4:12], rounds: 1 << log2}, nil
}

func (p phpass) digest(pw string) string {
	sum := md5.Sum([]byte(p.salt + pw))
	for range p.rounds {
		sum = md5.Sum(append(sum[:], pw...))
	}
	return p.setting + encode64(sum[:])
}

// encode64 is phpass's little-endian base64 over itoa64.
func encode64(in []byte) string {
	var b strings.Builder
	for i := 0; i < len(in); {
		v := int(in[i])
		i++
		b.WriteByte(itoa64[v&0x3f])
		if i < len(in) {
			v |= int(in[i]) << 8
		}
		b.WriteByte(itoa64[(v>>6)&0x3f])
		if i++; i > len(in) {
			break
		}
		if i < len(in) {
			v |= int(in[i]) << 16
		}
		b.WriteByte(itoa64[(v>>12)&0x3f])
		if i++; i > len(in) {
			break
		}
		b.WriteByte(itoa64[(v>>18)&0x3f])
	}
	return b.String()
}

func (p phpass) verify(pw string) bool { return equal(p.digest(pw), p.raw) }
func (phpass) fast() bool              { return true }
func (p phpass) value() string         { return p.raw }

// magento2 is Magento 2's hash:salt:version[:version…]: each version
// hashes what the one before made.
type magento2 struct {
	raw, hash, salt string
	steps           []magentoStep
}

// magentoStep is one version of a Magento hash: MD5 or SHA-256 of
// salt+input, or Argon2ID13 (libsodium's crypto_pwhash) of the input.
type magentoStep struct {
	sum       func() hash.Hash // nil for argon
	seed, ops uint32
	memKiB    uint32
}

func parseMagento2(v string) (scheme, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 3 || len(parts) > 6 {
		return nil, Malformed
	}
	m := magento2{raw: v, hash: parts[0], salt: parts[1]}
	for _, ver := range parts[2:] {
		switch {
		case ver == "0":
			m.steps = append(m.steps, magentoStep{sum: md5.New})
		case ver == "1":
			m.steps = append(m.steps, magentoStep{sum: sha256.New})
		case ver == "2":
			// SODIUM_CRYPTO_PWHASH_OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE
			// (64 MiB), SODIUM_CRYPTO_SIGN_SEEDBYTES.
			m.steps = append(m.steps, magentoStep{seed: 32, ops: 2, memKiB: 64 * 1024})
		case strings.HasPrefix(ver, "3_"):
			f := strings.Split(ver, "_")
			if len(f) != 4 {
				return nil, Malformed
			}
			seed, e1 := strconv.ParseUint(f[1], 10, 32)
			ops, e2 := strconv.ParseUint(f[2], 10, 32)
			mem, e3 := strconv.ParseUint(f[3], 10, 64)
			if e1 != nil || e2 != nil || e3 != nil || seed < 16 || seed > 64 || ops < 1 || ops > maxArgonTime ||
				mem%1024 != 0 || mem/1024 < 8 || mem/1024 > maxArgonMemKiB {
				return nil, Malformed
			}
			m.steps = append(m.steps, magentoStep{seed: uint32(seed), ops: uint32(ops), memKiB: uint32(mem / 1024)})
		default:
			return nil, Malformed
		}
	}
	if _, err := hex.DecodeString(m.hash); err != nil || m.hash == "" || strings.ToLower(m.hash) != m.hash {
		return nil, Malformed
	}
	if !m.fast() && len(m.salt) < 16 {
		return nil, Malformed // libsodium takes the salt's first 16 bytes
	}
	if m.fast() && m.salt == "" {
		return nil, Weak
	}
	return m, nil
}

func (m magento2) digest(pw string) string {
	out := pw
	for _, s := range m.steps {
		if s.sum == nil {
			out = hex.EncodeToString(argon2.IDKey([]byte(out), []byte(m.salt[:16]), s.ops, s.memKiB, 1, s.seed))
			continue
		}
		h := s.sum()
		h.Write([]byte(m.salt + out))
		out = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

func (m magento2) verify(pw string) bool { return equal(m.digest(pw), m.hash) }

// fast: no argon step.
func (m magento2) fast() bool {
	for _, s := range m.steps {
		if s.sum == nil {
			return false
		}
	}
	return true
}
func (m magento2) value() string { return m.hash }

// nopCommerce is nopCommerce's hashed password: the upper-case hex of
// SHA-1, SHA-256 or SHA-512 (by its length) over password+salt.
type nopCommerce struct {
	hash, salt string
	sum        func() hash.Hash
}

func parseNopCommerce(v, salt string) (scheme, error) {
	n := nopCommerce{hash: strings.ToUpper(v), salt: salt}
	switch len(v) {
	case 40:
		n.sum = sha1.New
	case 64:
		n.sum = sha256.New
	case 128:
		n.sum = sha512.New
	default:
		return nil, Malformed
	}
	if _, err := hex.DecodeString(v); err != nil {
		return nil, Malformed
	}
	if salt == "" {
		return nil, Weak
	}
	return n, nil
}

func (n nopCommerce) digest(pw string) string {
	h := n.sum()
	h.Write([]byte(pw + n.salt))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}
func (n nopCommerce) verify(pw string) bool { return equal(n.digest(pw), n.hash) }
func (nopCommerce) fast() bool              { return true }
func (n nopCommerce) value() string         { return n.hash }

// django is Django's pbkdf2_sha256$<iterations>$<salt>$<base64 key>.
type django struct {
	raw, salt string
	iter      int
	key       []byte
}

func parseDjango(v string) (scheme, error) {
	parts := strings.Split(v, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" {
		return nil, Malformed
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxPBKDF2Iter || strconv.Itoa(iter) != parts[1] {
		return nil, Malformed
	}
	key, err := base64.StdEncoding.Strict().DecodeString(parts[3])
	if err != nil || len(key) < 16 || len(key) > 64 || parts[2] == "" || strings.Contains(parts[2], "$") {
		return nil, Malformed
	}
	return django{raw: v, salt: parts[2], iter: iter, key: key}, nil
}

func (d django) derive(pw string) []byte {
	key, err := pbkdf2.Key(sha256.New, pw, []byte(d.salt), d.iter, len(d.key))
	if err != nil {
		return nil
	}
	return key
}

func (d django) digest(pw string) string {
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", d.iter, d.salt, base64.StdEncoding.EncodeToString(d.derive(pw)))
}
func (d django) verify(pw string) bool { return hmac.Equal(d.derive(pw), d.key) }
func (d django) fast() bool            { return d.iter < owaspPBKDF2SHA256 }
func (d django) value() string         { return d.raw }
