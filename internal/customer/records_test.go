package customer_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"regexp"
	"testing"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/testenv/entropy"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// newID returns NewID(random) and fails the test on error.
func newID(t *testing.T, random io.Reader) string {
	t.Helper()
	id, err := customer.NewID(random)
	if err != nil {
		t.Fatalf("NewID: %v", err)
	}
	return id
}

func TestNewIDWithAFixedReader(t *testing.T) {
	seq := make([]byte, 16)
	for i := range seq {
		seq[i] = byte(i)
	}
	tests := []struct {
		name   string
		random []byte
		want   string
	}{
		{"bytes 0 to 15 get the version and variant bits set", seq, "00010203-0405-4607-8809-0a0b0c0d0e0f"},
		{"all-one bytes get the version and variant bits cleared", bytes.Repeat([]byte{0xff}, 16), "ffffffff-ffff-4fff-bfff-ffffffffffff"},
		{"all-zero bytes get the version and variant bits set", make([]byte, 16), "00000000-0000-4000-8000-000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newID(t, bytes.NewReader(tt.random)); got != tt.want {
				t.Errorf("NewID = %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("the same reader contents give the same id", func(t *testing.T) {
		a := newID(t, bytes.NewReader(seq))
		b := newID(t, bytes.NewReader(seq))
		if a != b {
			t.Errorf("NewID = %q then %q for the same bytes", a, b)
		}
	})

	t.Run("it reads exactly 16 bytes", func(t *testing.T) {
		r := bytes.NewReader(make([]byte, 40))
		newID(t, r)
		if got, want := r.Len(), 24; got != want {
			t.Errorf("bytes left = %d, want %d", got, want)
		}
	})
}

func TestNewIDIsARandomVersion4UUID(t *testing.T) {
	tests := []struct {
		name   string
		random io.Reader
	}{
		{"crypto/rand gives distinct version 4 UUIDs", rand.Reader},
		{"a nil reader falls back to crypto/rand", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 100 {
				id := newID(t, tt.random)
				if !uuidV4.MatchString(id) {
					t.Fatalf("NewID = %q, want a lower-case v4 UUID (version nibble 4, variant bits 10)", id)
				}
				if seen[id] {
					t.Fatalf("NewID returned %q twice", id)
				}
				seen[id] = true
			}
		})
	}
}

func TestNewIDReportsAFailingReader(t *testing.T) {
	for _, tt := range entropy.Shorts(16) {
		t.Run(tt.Name, func(t *testing.T) {
			id, err := customer.NewID(tt.Reader)
			if !errors.Is(err, tt.Err) {
				t.Errorf("error = %v, want one wrapping %v", err, tt.Err)
			}
			if id != "" {
				t.Errorf("NewID = %q along with an error, want \"\"", id)
			}
		})
	}
}
