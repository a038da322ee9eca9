package devstack

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
)

// countingStart starts environments that run nothing, counting them: the pool's
// accounting is what is under test (the emulator's own runs are in
// internal/e2e, TestRIEConcurrentRequests).
func countingStart(n *int, mu *sync.Mutex) func(context.Context) (*Runtime, error) {
	return func(context.Context) (*Runtime, error) {
		mu.Lock()
		defer mu.Unlock()
		*n++
		return &Runtime{done: make(chan struct{})}, nil
	}
}

func TestPoolGrowsToItsCapAndThenThrottles(t *testing.T) {
	var n int
	var mu sync.Mutex
	p, err := NewPool(context.Background(), Function{Name: "fn", ReservedConcurrency: 3}, countingStart(&n, &mu), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var held []*Runtime
	for range 3 {
		r, err := p.acquire(context.Background())
		if err != nil {
			t.Fatalf("acquire within the cap: %v", err)
		}
		held = append(held, r)
	}
	if n != 3 || p.Size() != 3 {
		t.Fatalf("%d starts, %d environments; want 3 (one at start-up, two on demand)", n, p.Size())
	}
	if _, err := p.acquire(context.Background()); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a fourth concurrent invocation: %v, want ErrThrottled", err)
	}
	p.release(held[0], true)
	if r, err := p.acquire(context.Background()); err != nil || r != held[0] {
		t.Errorf("after a release: %v, want the warm environment again", err)
	}
	p.release(held[1], false)
	if p.Size() != 2 {
		t.Errorf("%d environments after one broke, want 2", p.Size())
	}
	if _, err := p.acquire(context.Background()); err != nil || n != 4 {
		t.Errorf("acquire after a broken one went: %v, %d starts; want a new environment", err, n)
	}
}
