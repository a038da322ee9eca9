// Package coldstart measures the Lambda functions the way Lambda runs them:
// each built bootstrap is executed against a stub of the Lambda Runtime API
// on loopback, and the harness times its init (exec to the first
// GET /next), its invocations, its peak resident memory and, under a CPU
// quota, its duration at each Lambda memory size. The benchmarks that use it
// are in coldstart_test.go; nothing here is linked into a function.
package coldstart

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Runtime API paths and headers, as documented in
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
const (
	apiVersion = "2018-06-01"

	PathNext      = "/" + apiVersion + "/runtime/invocation/next"
	PathInitError = "/" + apiVersion + "/runtime/init/error"

	HeaderRequestID          = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMS         = "Lambda-Runtime-Deadline-Ms"
	HeaderInvokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID            = "Lambda-Runtime-Trace-Id"
	HeaderFunctionErrorType  = "Lambda-Runtime-Function-Error-Type"
)

// maxResponse is Lambda's limit on a synchronous response (6 MB).
const maxResponse = 6 << 20

// PathResponse is where a runtime posts an invocation's response.
func PathResponse(requestID string) string {
	return "/" + apiVersion + "/runtime/invocation/" + requestID + "/response"
}

// PathError is where a runtime posts an invocation's error.
func PathError(requestID string) string {
	return "/" + apiVersion + "/runtime/invocation/" + requestID + "/error"
}

// ErrClosed is returned by calls on a closed RuntimeAPI.
var ErrClosed = errors.New("coldstart: runtime API closed")

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	// Payload is the response body, or the error document when Failed.
	Payload []byte
	// Failed is set when the runtime posted to .../error (or its response
	// stream ended with an error trailer).
	Failed bool
	// ErrorType is the Lambda-Runtime-Function-Error-Type the runtime sent.
	ErrorType string
	// HandedOut is when the event was written to the runtime's GET /next;
	// Answered is when its response had been read in full.
	HandedOut, Answered time.Time
}

// Duration is the invocation's duration as the harness saw it: from handing
// out the event to receiving the whole response.
func (r Result) Duration() time.Duration { return r.Answered.Sub(r.HandedOut) }

// InitError is what a runtime posted to /runtime/init/error.
type InitError struct {
	ErrorType string
	Body      []byte
}

func (e *InitError) Error() string {
	return fmt.Sprintf("runtime reported an init error (%s): %s", e.ErrorType, e.Body)
}

// RuntimeAPI is a stub of the Lambda Runtime API for one execution
// environment: it hands out one event at a time to GET /next and collects
// the responses. It listens on 127.0.0.1 only.
type RuntimeAPI struct {
	// arn is sent as Lambda-Runtime-Invoked-Function-Arn; timeout sets
	// each event's deadline (Lambda-Runtime-Deadline-Ms).
	arn     string
	timeout time.Duration

	ln  net.Listener
	srv *http.Server
	seq atomic.Uint64

	queue chan *invocation

	mu        sync.Mutex
	inflight  map[string]*invocation
	polls     int
	firstPoll time.Time
	polled    chan struct{} // closed at the first GET /next
	initErr   *InitError
	closed    chan struct{} // closed by Abort
	closeErr  error
}

type invocation struct {
	id      string
	payload []byte
	out     chan Result // buffered 1
	handed  time.Time
}

// NewRuntimeAPI starts a stub on a free loopback port for the function
// functionARN, whose events get deadlines timeout after they are handed out.
func NewRuntimeAPI(functionARN string, timeout time.Duration) (*RuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("coldstart: listen: %w", err)
	}
	a := &RuntimeAPI{
		arn:      functionARN,
		timeout:  timeout,
		ln:       ln,
		queue:    make(chan *invocation),
		inflight: map[string]*invocation{},
		polled:   make(chan struct{}),
		closed:   make(chan struct{}),
	}
	a.srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Addr is the host:port a runtime is given in AWS_LAMBDA_RUNTIME_API.
func (a *RuntimeAPI) Addr() string { return a.ln.Addr().String() }

// Handler serves the Runtime API routes.
func (a *RuntimeAPI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathNext, a.next)
	mux.HandleFunc("POST /"+apiVersion+"/runtime/invocation/{id}/response", a.result(false))
	mux.HandleFunc("POST /"+apiVersion+"/runtime/invocation/{id}/error", a.result(true))
	mux.HandleFunc("POST "+PathInitError, a.initError)
	return mux
}

// FirstPoll waits for the runtime's first GET /next, the end of its init,
// and returns when it arrived. It fails early when the runtime reports an
// init error or the API is aborted (the process exited).
func (a *RuntimeAPI) FirstPoll(ctx context.Context) (time.Time, error) {
	select {
	case <-a.polled:
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.firstPoll, nil
	case <-a.closed:
		return time.Time{}, a.abortErr()
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// Polls is how many GET /next requests have arrived.
func (a *RuntimeAPI) Polls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.polls
}

// Invoke hands payload to the runtime's next GET /next and waits for the
// response or error it posts.
func (a *RuntimeAPI) Invoke(ctx context.Context, payload []byte) (Result, error) {
	inv := &invocation{id: a.requestID(), payload: payload, out: make(chan Result, 1)}
	select {
	case a.queue <- inv:
	case <-a.closed:
		return Result{}, a.abortErr()
	case <-ctx.Done():
		return Result{}, fmt.Errorf("coldstart: no GET /next for the event: %w", ctx.Err())
	}
	select {
	case r := <-inv.out:
		return r, nil
	case <-a.closed:
		return Result{}, a.abortErr()
	case <-ctx.Done():
		return Result{}, fmt.Errorf("coldstart: no response to %s: %w", inv.id, ctx.Err())
	}
}

// Abort fails every waiting and later call with err (nil means ErrClosed).
// The first call wins.
func (a *RuntimeAPI) Abort(err error) {
	if err == nil {
		err = ErrClosed
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.closed:
	default:
		a.closeErr = err
		close(a.closed)
	}
}

// Close aborts waiting calls and stops the server.
func (a *RuntimeAPI) Close() error {
	a.Abort(ErrClosed)
	return a.srv.Close()
}

func (a *RuntimeAPI) abortErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.initErr != nil && !errors.Is(a.closeErr, a.initErr) {
		return errors.Join(a.closeErr, a.initErr)
	}
	return a.closeErr
}

// next blocks until an event is queued, then hands it out.
func (a *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.polls++
	if a.polls == 1 {
		a.firstPoll = time.Now()
		close(a.polled)
	}
	a.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-a.queue:
	case <-a.closed:
		writeError(w, http.StatusInternalServerError, "Runtime API closed", "Runtime.ClosedError")
		return
	case <-r.Context().Done():
		return
	}
	now := time.Now()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(HeaderRequestID, inv.id)
	h.Set(HeaderDeadlineMS, strconv.FormatInt(now.Add(a.timeout).UnixMilli(), 10))
	h.Set(HeaderInvokedFunctionARN, a.arn)
	h.Set(HeaderTraceID, traceID(now))
	a.mu.Lock()
	inv.handed = time.Now()
	a.inflight[inv.id] = inv
	a.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// result takes an invocation's response (failed=false) or error document.
func (a *RuntimeAPI) result(failed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		a.mu.Lock()
		inv, ok := a.inflight[id]
		a.mu.Unlock()
		if !ok {
			writeError(w, http.StatusBadRequest, "Invalid request ID", "InvalidRequestID")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), "InvalidRequestBody")
			return
		}
		if len(body) > maxResponse {
			writeError(w, http.StatusRequestEntityTooLarge, "Response payload size exceeded maximum allowed payload size (6291556 bytes).", "RequestEntityTooLarge")
			return
		}
		answered := time.Now()
		res := Result{
			RequestID: id, Payload: body, Failed: failed,
			ErrorType: r.Header.Get(HeaderFunctionErrorType),
			HandedOut: inv.handed, Answered: answered,
		}
		// aws-lambda-go reports an error while streaming a response in
		// trailers, which are only readable after the body.
		if t := r.Trailer.Get(HeaderFunctionErrorType); t != "" {
			res.Failed, res.ErrorType = true, t
		}
		a.mu.Lock()
		delete(a.inflight, id)
		a.mu.Unlock()
		inv.out <- res
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	}
}

func (a *RuntimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	e := &InitError{ErrorType: r.Header.Get(HeaderFunctionErrorType), Body: body}
	a.mu.Lock()
	a.initErr = e
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
	a.Abort(e)
}

func (a *RuntimeAPI) requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%08d-%s", a.seq.Add(1), hex.EncodeToString(b))
}

// traceID is an X-Ray trace header as Lambda sends it (not sampled).
func traceID(now time.Time) string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}

func writeError(w http.ResponseWriter, status int, msg, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorMessage": msg, "errorType": typ})
}
