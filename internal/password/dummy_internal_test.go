package password

import (
	"crypto/rand"
	"testing"
)

func TestNewHasherPreparesAWellFormedDummyHash(t *testing.T) {
	params := Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}
	h, err := NewHasher(params, rand.Reader)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	tests := []struct {
		name string
		pw   string
	}{
		{"an ordinary password does not match the dummy hash", "secret"},
		{"the empty password does not match the dummy hash", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, needsRehash, err := h.Verify(tt.pw, h.dummy)
			if err != nil {
				t.Fatalf("Verify(dummy) error = %v; the dummy must be a readable hash so VerifyDummy costs a real verification", err)
			}
			if ok {
				t.Errorf("Verify(%q, dummy) = true, want false", tt.pw)
			}
			if needsRehash {
				t.Errorf("needsRehash = true; the dummy must use the current parameters so it costs what a real hash costs")
			}
		})
	}
}
