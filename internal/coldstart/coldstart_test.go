package coldstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/openreg/registration/internal/testenv"
)

// helperEnv makes the test binary act as a bootstrap (see runHelper), so the
// harness is tested against the real aws-lambda-go runtime client without
// building anything.
const helperEnv = "COLDSTART_TEST_BOOTSTRAP"

// TestMain starts the emulators only when benchmarks were asked for: the
// unit tests need none, and plain `go test ./...` must stay fast.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		runHelper()
		return
	}
	flag.Parse()
	if !benchmarking() {
		os.Exit(m.Run())
	}
	code := testenv.Main(m)
	cleanupFixture()
	os.Exit(code)
}

func benchmarking() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
}

// runHelper is a bootstrap that echoes what it was given: the event, the
// invocation metadata aws-lambda-go parsed from the Runtime API's headers,
// and errors on request.
func runHelper() {
	lambda.Start(func(ctx context.Context, ev json.RawMessage) (map[string]any, error) {
		var in struct {
			Fail string `json:"fail"`
		}
		_ = json.Unmarshal(ev, &in)
		if in.Fail != "" {
			return nil, errors.New(in.Fail)
		}
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"event":      ev,
			"requestId":  lc.AwsRequestID,
			"arn":        lc.InvokedFunctionArn,
			"deadlineMs": deadline.UnixMilli(),
			"traceId":    os.Getenv("_X_AMZN_TRACE_ID"),
			"function":   lambdacontext.FunctionName,
			"memory":     lambdacontext.MemoryLimitInMB,
		}, nil
	})
}

func TestProcessAgainstTheRealRuntimeClient(t *testing.T) {
	p, err := Start(Options{
		Binary: os.Args[0], FunctionName: "echo", MemoryMB: 256, Timeout: 7 * time.Second,
		Env: []string{helperEnv + "=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	init, err := p.Init(ctx)
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	if init <= 0 || init > 20*time.Second {
		t.Errorf("init = %v, want a positive duration", init)
	}

	t.Run("passes the event and the invocation headers", func(t *testing.T) {
		before := time.Now()
		r, err := p.Invoke(ctx, []byte(`{"hello":"world"}`))
		if err != nil {
			t.Fatalf("invoke: %v\n%s", err, p.Output())
		}
		if r.Failed {
			t.Fatalf("failed: %s", r.Payload)
		}
		var got struct {
			Event      json.RawMessage
			RequestID  string
			ARN        string
			DeadlineMs int64
			TraceID    string
			Function   string
			Memory     int
		}
		if err := json.Unmarshal(r.Payload, &got); err != nil {
			t.Fatalf("response %s: %v", r.Payload, err)
		}
		if string(got.Event) != `{"hello":"world"}` {
			t.Errorf("event = %s", got.Event)
		}
		if got.RequestID != r.RequestID || got.RequestID == "" {
			t.Errorf("request id = %q, want %q", got.RequestID, r.RequestID)
		}
		if want := "arn:aws:lambda:us-east-1:000000000000:function:echo"; got.ARN != want {
			t.Errorf("arn = %q, want %q", got.ARN, want)
		}
		if d := time.UnixMilli(got.DeadlineMs).Sub(before); d < 6*time.Second || d > 8*time.Second {
			t.Errorf("deadline is %v after the invocation, want about 7s", d)
		}
		if len(got.TraceID) < len("Root=1-") || got.TraceID[:7] != "Root=1-" {
			t.Errorf("trace id = %q", got.TraceID)
		}
		if got.Function != "echo" || got.Memory != 256 {
			t.Errorf("function, memory = %q, %d; want echo, 256", got.Function, got.Memory)
		}
		if r.Duration() <= 0 {
			t.Errorf("duration = %v", r.Duration())
		}
	})
	t.Run("reports a handler error as a failed result", func(t *testing.T) {
		r, err := p.Invoke(ctx, []byte(`{"fail":"boom"}`))
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		if !r.Failed || !bytes.Contains(r.Payload, []byte("boom")) {
			t.Errorf("result = %+v (%s), want a failure saying boom", r, r.Payload)
		}
	})
	t.Run("reads the peak resident set", func(t *testing.T) {
		rss, err := p.PeakRSS()
		if err != nil {
			t.Skipf("no /proc here: %v", err)
		}
		if rss < 1<<20 {
			t.Errorf("VmHWM = %d bytes, want at least 1 MiB", rss)
		}
	})
	t.Run("fails invocations once the process is gone", func(t *testing.T) {
		p.Stop()
		if _, err := p.Invoke(ctx, []byte(`{}`)); err == nil {
			t.Error("invoke after stop succeeded")
		}
	})
}

func TestProcessThatExitsDuringInit(t *testing.T) {
	p, err := Start(Options{Binary: "/bin/false", FunctionName: "false"})
	if err != nil {
		t.Skipf("no /bin/false: %v", err)
	}
	defer p.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.Init(ctx); err == nil || !bytes.Contains([]byte(err.Error()), []byte("exited")) {
		t.Errorf("init error = %v, want one saying the process exited", err)
	}
}

// runtimeCall is one HTTP exchange with the stub.
type runtimeCall struct {
	method, path string
	header       map[string]string
	body         string
}

func (c runtimeCall) do(t *testing.T, a *RuntimeAPI) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, "http://"+a.Addr()+c.path, bytes.NewBufferString(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func newAPI(t *testing.T) *RuntimeAPI {
	t.Helper()
	a, err := NewRuntimeAPI("arn:aws:lambda:us-east-1:000000000000:function:f", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// handOut queues payload and performs the runtime's GET /next; it returns
// the response and a channel with the invocation's result.
func handOut(t *testing.T, a *RuntimeAPI, payload string) (*http.Response, []byte, <-chan Result) {
	t.Helper()
	results := make(chan Result, 1)
	go func() {
		r, err := a.Invoke(context.Background(), []byte(payload))
		if err == nil {
			results <- r
		}
		close(results)
	}()
	resp, body := runtimeCall{method: http.MethodGet, path: PathNext}.do(t, a)
	return resp, body, results
}

func TestRuntimeAPINext(t *testing.T) {
	a := newAPI(t)
	before := time.Now()
	resp, body, _ := handOut(t, a, `{"k":1}`)
	if resp.StatusCode != http.StatusOK || string(body) != `{"k":1}` {
		t.Fatalf("GET /next = %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{HeaderRequestID, HeaderDeadlineMS, HeaderInvokedFunctionARN, HeaderTraceID} {
		if resp.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	ms, err := strconv.ParseInt(resp.Header.Get(HeaderDeadlineMS), 10, 64)
	if err != nil {
		t.Fatalf("deadline: %v", err)
	}
	if d := time.UnixMilli(ms).Sub(before); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("deadline %v from now, want the 3s timeout", d)
	}
	first, err := a.FirstPoll(context.Background())
	if err != nil || first.Before(before) {
		t.Errorf("first poll = %v, %v", first, err)
	}
}

func TestRuntimeAPIResults(t *testing.T) {
	tests := []struct {
		name       string
		post       func(id string) runtimeCall
		wantStatus int
		wantFailed bool
		wantType   string
	}{
		{
			name:       "takes a response",
			post:       func(id string) runtimeCall { return runtimeCall{http.MethodPost, PathResponse(id), nil, `{"ok":true}`} },
			wantStatus: http.StatusAccepted,
		},
		{
			name: "takes an error with its type",
			post: func(id string) runtimeCall {
				return runtimeCall{http.MethodPost, PathError(id), map[string]string{HeaderFunctionErrorType: "Runtime.Boom"}, `{"errorMessage":"boom"}`}
			},
			wantStatus: http.StatusAccepted, wantFailed: true, wantType: "Runtime.Boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			next, _, results := handOut(t, a, `{}`)
			id := next.Header.Get(HeaderRequestID)
			call := tt.post(id)
			resp, _ := call.do(t, a)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			r, ok := <-results
			if !ok {
				t.Fatal("no result")
			}
			if r.RequestID != id || string(r.Payload) != call.body || r.Failed != tt.wantFailed || r.ErrorType != tt.wantType {
				t.Errorf("result = %+v (%s)", r, r.Payload)
			}
			if r.Answered.Before(r.HandedOut) {
				t.Errorf("answered %v before handed out %v", r.Answered, r.HandedOut)
			}
		})
	}
}

func TestRuntimeAPIRejects(t *testing.T) {
	tests := []struct {
		name       string
		call       runtimeCall
		wantStatus int
		wantType   string
	}{
		{"a response for an unknown request id", runtimeCall{http.MethodPost, PathResponse("nope"), nil, `{}`}, http.StatusBadRequest, "InvalidRequestID"},
		{"an error for an unknown request id", runtimeCall{http.MethodPost, PathError("nope"), nil, `{}`}, http.StatusBadRequest, "InvalidRequestID"},
		{"a POST to next", runtimeCall{http.MethodPost, PathNext, nil, ""}, http.StatusMethodNotAllowed, ""},
		{"a GET of a response", runtimeCall{http.MethodGet, PathResponse("x"), nil, ""}, http.StatusMethodNotAllowed, ""},
		{"another API version", runtimeCall{http.MethodGet, "/2099-01-01/runtime/invocation/next", nil, ""}, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			a := newAPI(t)
			resp, body := tt.call.do(t, a)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantType != "" {
				var e struct{ ErrorType string }
				if err := json.Unmarshal(body, &e); err != nil || e.ErrorType != tt.wantType {
					t.Errorf("body = %s, want errorType %s", body, tt.wantType)
				}
			}
		})
	}
}

func TestRuntimeAPIInitError(t *testing.T) {
	a := newAPI(t)
	resp, _ := runtimeCall{http.MethodPost, PathInitError, map[string]string{HeaderFunctionErrorType: "Runtime.ExitError"}, `{"errorMessage":"no table"}`}.do(t, a)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", resp.StatusCode)
	}
	_, err := a.FirstPoll(context.Background())
	var ie *InitError
	if !errors.As(err, &ie) || ie.ErrorType != "Runtime.ExitError" || string(ie.Body) != `{"errorMessage":"no table"}` {
		t.Errorf("first poll error = %v, want the init error", err)
	}
	if _, err := a.Invoke(context.Background(), []byte(`{}`)); !errors.As(err, &ie) {
		t.Errorf("invoke error = %v, want the init error", err)
	}
}

func TestRuntimeAPIInvokeWaitsForContext(t *testing.T) {
	a := newAPI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := a.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("invoke with nobody polling = %v, want the deadline", err)
	}
}

func TestMedian(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"is zero for no values", nil, 0},
		{"is the value of one", ms(7), 7 * time.Millisecond},
		{"is the middle of an odd count", ms(9, 1, 5), 5 * time.Millisecond},
		{"is the mean of the middle two of an even count", ms(4, 1, 10, 2), 3 * time.Millisecond},
		{"ignores one outlier", ms(3, 3, 3, 3, 900), 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			if got := Median(tt.in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("Median reordered its input")
				}
			}
		})
	}
}

func TestCPUQuota(t *testing.T) {
	period := 100 * time.Millisecond
	tests := []struct {
		memoryMB int
		want     time.Duration
	}{
		{128, 7235 * time.Microsecond},
		{256, 14471 * time.Microsecond},
		{1024, 57885 * time.Microsecond},
		{1769, period},
		{3008, period},
		{1, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("gives %d MB its share", tt.memoryMB), func(t *testing.T) {
			got := CPUQuota(tt.memoryMB, period)
			if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("CPUQuota(%d) = %v, want %v", tt.memoryMB, got, tt.want)
			}
		})
	}
}

func TestPricePerMillion(t *testing.T) {
	tests := []struct {
		name     string
		d        time.Duration
		memoryMB int
		want     float64
	}{
		{"is the request price for no time", 0, 1024, 0.20},
		{"bills 1 GB-second per invocation at 1 s and 1024 MB", time.Second, 1024, 13.3334 + 0.20},
		{"rounds up to whole milliseconds", 1500 * time.Microsecond, 1024, 2*0.0133334 + 0.20},
		{"scales with memory", 100 * time.Millisecond, 128, 0.1/8*13.3334 + 0.20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PricePerMillion(tt.d, tt.memoryMB); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("PricePerMillion(%v, %d) = %v, want %v", tt.d, tt.memoryMB, got, tt.want)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	pt := func(mb, ms int) SizePoint {
		d := time.Duration(ms) * time.Millisecond
		return SizePoint{MemoryMB: mb, Duration: d, PricePerMillion: PricePerMillion(d, mb)}
	}
	tests := []struct {
		name                  string
		points                []SizePoint
		wantCheap, wantWithin int
	}{
		{"has no answer for no points", nil, -1, -1},
		{"picks the only point twice", []SizePoint{pt(128, 100)}, 0, 0},
		// 128 MB × 800 ms costs 1.51; 256 × 390 costs 1.50; 512 × 200 costs
		// 1.53 (within 10%); 1024 × 150 costs 2.20 (not).
		{"prefers the fastest size within 10% of the cheapest",
			[]SizePoint{pt(128, 800), pt(256, 390), pt(512, 200), pt(1024, 150)}, 1, 2},
		{"keeps the cheapest when every faster size costs more than 10% extra",
			[]SizePoint{pt(128, 100), pt(1024, 90)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, w := Choose(tt.points)
			if c != tt.wantCheap || w != tt.wantWithin {
				t.Errorf("Choose = %d, %d; want %d, %d", c, w, tt.wantCheap, tt.wantWithin)
			}
		})
	}
}

func TestStatusBytes(t *testing.T) {
	status := []byte("Name:\tbootstrap\nVmPeak:\t 1262748 kB\nVmHWM:\t   21392 kB\nVmRSS:\t   20012 kB\n")
	tests := []struct {
		field   string
		want    int64
		wantErr bool
	}{
		{"VmHWM", 21392 << 10, false},
		{"VmRSS", 20012 << 10, false},
		{"Name", 0, true},
		{"VmSwap", 0, true},
	}
	for _, tt := range tests {
		t.Run("reads "+tt.field, func(t *testing.T) {
			got, err := StatusBytes(status, tt.field)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("StatusBytes(%s) = %d, %v; want %d, error %v", tt.field, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &tail{max: 5}
	for _, s := range []string{"abc", "defg", "h"} {
		_, _ = tl.Write([]byte(s))
	}
	if got := tl.String(); got != "defgh" {
		t.Errorf("tail = %q, want %q", got, "defgh")
	}
}
