package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/settings"
)

// TestLoad is `make load`: LOAD_N registrations at concurrency LOAD_C
// through the local gateway (each worker from its own loopback address),
// then every mail delivered and counted per address: nothing lost, nothing
// doubled. Plain `go test` skips it; it prints its figures.
func TestLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LOAD_N"))
	c, _ := strconv.Atoi(os.Getenv("LOAD_C"))
	if n <= 0 || c <= 0 {
		t.Skip("make load runs this (LOAD_N registrations at concurrency LOAD_C)")
	}
	s := newStack(t, func(st *settings.Settings) { st.ClientLimits = settings.ClientLimits{} })
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	var mu sync.Mutex
	statuses := map[int]int{}
	var took samples
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := s.from(t, fmt.Sprintf("127.0.1.%d", w+1))
			for i := range jobs {
				began := time.Now()
				r := client.register(person(fmt.Sprintf("load-%d@example.com", i)))
				d := time.Since(began)
				mu.Lock()
				statuses[r.status]++
				took = append(took, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(took)

	// Deliver everything: the Pipe and the mailer until both are idle.
	ctx := context.Background()
	for idle := 0; idle < 3; {
		piped, err := s.pipe.Once(ctx)
		if err != nil {
			t.Fatalf("pipe: %v", err)
		}
		handled, err := s.poller.Once(ctx, 0)
		if err != nil {
			t.Fatalf("mailer: %v", err)
		}
		if piped == 0 && handled == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	all, err := s.mailbox.Mails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	perAddress := map[string]int{}
	for _, m := range all[min(s.mailsBefore, len(all)):] {
		for _, to := range m.To {
			perAddress[to]++
		}
	}
	lost, doubled := 0, 0
	for i := range n {
		switch k := perAddress[fmt.Sprintf("load-%d@example.com", i)]; {
		case k == 0:
			lost++
		case k > 1:
			doubled++
		}
	}
	fmt.Printf("\nLoad: %d registrations at concurrency %d in %v (%.0f/s), %v\n", n, c, elapsed.Round(time.Millisecond),
		float64(n)/elapsed.Seconds(), machine())
	fmt.Printf("  answers: %v; latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", statuses, ms(took.p(50)), ms(took.p(95)), ms(took.p(99)))
	fmt.Printf("  mails: %d expected, %d addresses mailed, %d lost, %d doubled\n", n, len(perAddress), lost, doubled)
	if statuses[http.StatusAccepted] != n {
		t.Errorf("answers %v, want %d × 202", statuses, n)
	}
	if lost > 0 || doubled > 0 {
		t.Errorf("%d addresses got no mail and %d got more than one", lost, doubled)
	}
}
