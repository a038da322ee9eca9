package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/httpapi"
)

// LocalConcurrency caps the environments one function runs at once
// locally, below its reserved concurrency: each is an emulator process and
// a bootstrap, and this machine is not a fleet.
const LocalConcurrency = 16

// queueWait is how long an invocation waits for a busy function's
// environment to free before it is throttled. Lambda throttles at once;
// the local stack waits a moment, because its cap is lower than Lambda's.
const queueWait = 2 * time.Second

// ErrThrottled is an invocation refused because every environment of the
// function was busy: API Gateway answers it 429, as it does Lambda's
// throttling.
var ErrThrottled = errors.New("the function's concurrency is exhausted")

// FunctionError is an error the function returned (its handler's error, a
// panic it recovered): its environment is still good.
type FunctionError struct{ error }

func (e *FunctionError) Unwrap() error { return e.error }

// Pool is one function's execution environments, as Lambda keeps them: an
// environment serves one invocation at a time and stays warm for the next;
// when all are busy a new one starts (a cold start), up to the function's
// reserved concurrency or LocalConcurrency, whichever is lower; past that
// an invocation waits up to queueWait and is then throttled. An
// environment whose invocation failed other than by the function's own
// error (it crashed, timed out, stopped answering) is replaced.
type Pool struct {
	Function Function
	// ctx is the pool's: environments live as long as it, not as long as
	// the invocation that started them.
	ctx   context.Context
	start func(context.Context) (*Runtime, error)
	max   int
	log   *slog.Logger

	mu    sync.Mutex
	idle  []*Runtime
	live  []*Runtime
	busy  int // environments starting or invoked
	freed chan struct{}
}

// NewPool returns a function's pool with one environment started (so a
// broken function fails at start-up, not at its first request).
func NewPool(ctx context.Context, f Function, start func(context.Context) (*Runtime, error), log *slog.Logger) (*Pool, error) {
	p := &Pool{Function: f, ctx: ctx, start: start, max: LocalConcurrency, log: log, freed: make(chan struct{})}
	if f.ReservedConcurrency > 0 && f.ReservedConcurrency < p.max {
		p.max = f.ReservedConcurrency
	}
	r, err := start(ctx)
	if err != nil {
		return nil, err
	}
	p.idle, p.live = []*Runtime{r}, []*Runtime{r}
	return p, nil
}

// acquire returns an idle environment, or starts one, or waits for one.
func (p *Pool) acquire(ctx context.Context) (*Runtime, error) {
	deadline := time.NewTimer(queueWait)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		if n := len(p.idle); n > 0 {
			r := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.busy++
			p.mu.Unlock()
			return r, nil
		}
		if len(p.live)+p.starting() < p.max {
			p.busy++
			p.mu.Unlock()
			r, err := p.start(p.ctx)
			p.mu.Lock()
			if err != nil {
				p.busy--
				p.signal()
				p.mu.Unlock()
				return nil, err
			}
			p.live = append(p.live, r)
			p.mu.Unlock()
			return r, nil
		}
		freed := p.freed
		p.mu.Unlock()
		select {
		case <-freed:
		case <-deadline.C:
			return nil, ErrThrottled
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// starting is how many environments are starting (busy but not live yet).
func (p *Pool) starting() int { return max(p.busy-(len(p.live)-len(p.idle)), 0) }

// release returns r after an invocation; a broken one is replaced later.
func (p *Pool) release(r *Runtime, healthy bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
	if healthy {
		p.idle = append(p.idle, r)
	} else {
		p.live = slices.DeleteFunc(p.live, func(x *Runtime) bool { return x == r })
		p.log.Warn("lambda environment replaced", "function", p.Function.Name, "output", r.tail())
		go r.Stop()
	}
	p.signal()
}

// signal wakes the invocations waiting for an environment (p.mu held).
func (p *Pool) signal() {
	close(p.freed)
	p.freed = make(chan struct{})
}

// Invoke invokes the function once with payload on one of its environments.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	r, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	body, err := r.Invoke(ctx, payload)
	var fnErr *FunctionError
	p.release(r, err == nil || errors.As(err, &fnErr))
	return body, err
}

// Output is what the function's environments printed.
func (p *Pool) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for i, r := range p.live {
		if len(p.live) > 1 {
			fmt.Fprintf(&b, "--- environment %d\n", i+1)
		}
		b.WriteString(r.Output())
	}
	return b.String()
}

// Size is how many environments the function has.
func (p *Pool) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live)
}

// Stop ends every environment.
func (p *Pool) Stop() {
	p.mu.Lock()
	live := p.live
	p.live, p.idle = nil, nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range live {
		wg.Go(r.Stop)
	}
	wg.Wait()
}

// HTTP is the function as the gateway calls it.
func (p *Pool) HTTP() httpapi.LambdaHandler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		var resp events.APIGatewayV2HTTPResponse
		err := p.invokeJSON(ctx, ev, &resp)
		return resp, err
	}
}

// SQS is the function as the poller calls it.
func (p *Pool) SQS() SQSHandler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		err := p.invokeJSON(ctx, ev, &resp)
		return resp, err
	}
}

func (p *Pool) invokeJSON(ctx context.Context, in, out any) error {
	payload, err := json.Marshal(in)
	if err != nil {
		return err
	}
	body, err := p.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s answered %q: %w", p.Function.Name, body, err)
	}
	return nil
}
