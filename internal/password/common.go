package password

import (
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"slices"
	"strings"
)

// commonSet is the bundled list of common and breached passwords, as
// BuildCommonSet makes it (internal/password/common/README.md says where
// the list comes from and how to refresh it). It is searched where it lies
// in the binary: nothing is parsed or allocated at cold start.
//
//go:embed common/set.bin
var commonSet []byte

// commonKey is what the set holds of a password: the first 4 bytes of its
// SHA-256. With about 100,000 entries among 2^32 keys, a password not on
// the list is taken for one with a chance of about 1 in 43,000 (2.3e-5);
// such a customer is asked for another password, nothing worse.
func commonKey(pw string) uint32 {
	sum := sha256.Sum256([]byte(pw))
	return binary.BigEndian.Uint32(sum[:4])
}

// BuildCommonSet makes the embedded set from a list: the key of every
// password and of its lower-case form, sorted, each once, 4 bytes
// big-endian each.
func BuildCommonSet(list []string) []byte {
	keys := make([]uint32, 0, 2*len(list))
	for _, pw := range list {
		keys = append(keys, commonKey(pw), commonKey(strings.ToLower(pw)))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	out := make([]byte, 4*len(keys))
	for i, k := range keys {
		binary.BigEndian.PutUint32(out[4*i:], k)
	}
	return out
}

// CommonSetSize is how many keys the bundled set holds.
func CommonSetSize() int { return len(commonSet) / 4 }

// Common reports whether pw, or its lower-case form, is on the bundled
// list of common and breached passwords.
func Common(pw string) bool {
	return inSet(commonSet, commonKey(pw)) || inSet(commonSet, commonKey(strings.ToLower(pw)))
}

// inSet binary-searches a set of sorted 4-byte keys.
func inSet(set []byte, k uint32) bool {
	lo, hi := 0, len(set)/4
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch v := binary.BigEndian.Uint32(set[4*mid:]); {
		case v == k:
			return true
		case v < k:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}
