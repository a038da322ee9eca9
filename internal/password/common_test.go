package password_test

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"os"
	"slices"
	"testing"

	"github.com/openreg/registration/internal/password"
)

func TestCommon(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want bool
	}{
		{"the most common password is on the list", "123456", true},
		{"a word is on the list", "password", true},
		{"a keyboard walk is on the list", "qwerty", true},
		{"the list's last entry is on it", "070162", true},
		{"a password's upper-case form counts as the password", "PASSWORD", true},
		{"a mixed-case form counts too", "IloveYou", true},
		{"a passphrase is not on the list", "correct horse battery staple 7", false},
		{"a long random password is not on the list", "f4Kz-9qPw!x2Lm7v", false},
		{"the empty password is not on the list", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := password.Common(tt.pw); got != tt.want {
				t.Errorf("Common(%q) = %v, want %v", tt.pw, got, tt.want)
			}
		})
	}
}

func TestCommonSet(t *testing.T) {
	set, err := os.ReadFile("common/set.bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the bundled set holds at least 100,000 keys, sorted and each once", func(t *testing.T) {
		if len(set)%4 != 0 || len(set)/4 < 100_000 || password.CommonSetSize() != len(set)/4 {
			t.Fatalf("%d bytes (%d keys embedded), want at least 100,000 whole 4-byte keys", len(set), password.CommonSetSize())
		}
		for i := 4; i < len(set); i += 4 {
			if binary.BigEndian.Uint32(set[i-4:]) >= binary.BigEndian.Uint32(set[i:]) {
				t.Fatalf("key %d is not above key %d", i/4, i/4-1)
			}
		}
	})
	t.Run("a set built from a list finds every password on it and its lower-case form", func(t *testing.T) {
		list := []string{"Dragon", "monkey", "letmein", "Ünïcödé"}
		built := password.BuildCommonSet(list)
		if got := len(built) / 4; got != 6 { // "monkey", "letmein" and two forms each of the others
			t.Errorf("%d keys, want 6", got)
		}
		if !slices.IsSortedFunc(keys(built), func(a, b uint32) int { return int(int64(a) - int64(b)) }) {
			t.Error("the built set is not sorted")
		}
	})
	t.Run("random passwords are almost never taken for common ones", func(t *testing.T) {
		// The stated rate is about 1 in 43,000; 20,000 random passwords
		// expect about half a false positive, and five would be a rate ten
		// times the stated one.
		hits := 0
		b := make([]byte, 12)
		for range 20_000 {
			if _, err := rand.Read(b); err != nil {
				t.Fatal(err)
			}
			if password.Common(hex.EncodeToString(b)) {
				hits++
			}
		}
		if hits >= 5 {
			t.Errorf("%d of 20,000 random passwords were taken for common ones", hits)
		}
	})
}

func keys(set []byte) []uint32 {
	out := make([]uint32, len(set)/4)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(set[4*i:])
	}
	return out
}

func BenchmarkCommon(b *testing.B) {
	for range b.N {
		password.Common("f4Kz-9qPw!x2Lm7v")
	}
}
