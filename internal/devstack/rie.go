package devstack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/emulator"
	"github.com/openreg/registration/internal/httpapi"
)

// The local Lambda runtime: each function's real bootstrap, run under AWS's
// Runtime Interface Emulator (the program SAM and LocalStack run inside
// Docker) on loopback, with the environment, timeout and memory size the
// synthesized CloudFormation template gives it.

// Where `make tools` installs the emulator, relative to the repository's
// top directory.
const RIEPath = ".tools/bin/aws-lambda-rie"

// Runtime is one function's bootstrap running under the emulator.
type Runtime struct {
	Function Function
	url      string
	cmd      *exec.Cmd
	done     chan struct{}
	log      *slog.Logger
	mu       sync.Mutex
	output   bytes.Buffer // the function's and the emulator's output, for failures
}

// startMu serialises the starts of emulators (see StartRuntime).
var startMu sync.Mutex

// StartRuntime runs bootstrap under the emulator rie with exactly env (and
// the Lambda variables for f's name, timeout and memory size), on two free
// loopback ports, and waits until it accepts invocations. The function
// initialises on its first invocation, as in Lambda.
func StartRuntime(ctx context.Context, rie, bootstrap string, f Function, env map[string]string, log *slog.Logger) (*Runtime, error) {
	if _, err := os.Stat(rie); err != nil {
		return nil, fmt.Errorf("the Lambda Runtime Interface Emulator is not installed (run `make tools`): %w", err)
	}
	// One start at a time, from choosing its ports until it listens: two
	// emulators started at once could be handed the same free port, and
	// the second's invocations would reach the first.
	startMu.Lock()
	defer startMu.Unlock()
	// A port found free can be taken by another process before the
	// emulator binds it: it then exits at once, and gets other ports.
	for attempt := 1; ; attempt++ {
		r, err := startRuntime(ctx, rie, bootstrap, f, env, log)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return r, err
		}
	}
}

func startRuntime(ctx context.Context, rie, bootstrap string, f Function, env map[string]string, log *slog.Logger) (*Runtime, error) {
	invokeAddr, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	r := &Runtime{Function: f, url: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations", done: make(chan struct{}), log: log}
	r.cmd = exec.CommandContext(ctx, rie, "--runtime-interface-emulator-address", invokeAddr, "--runtime-api-address", apiAddr, bootstrap)
	vars := map[string]string{
		// The emulator passes its environment on to the function.
		"PATH":                            "/usr/bin:/bin",
		"AWS_LAMBDA_FUNCTION_NAME":        f.Name,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(f.TimeoutSeconds),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
	}
	if f.AssetDir != "" {
		// Where Lambda puts the function's code (/var/task): the
		// synthesized asset, with the settings file the stack ships.
		vars["LAMBDA_TASK_ROOT"] = f.AssetDir
	}
	for k, v := range env {
		vars[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		r.cmd.Env = append(r.cmd.Env, k+"="+vars[k])
	}
	r.cmd.SysProcAttr = emulator.ChildProcess()
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	r.cmd.Stderr = r.cmd.Stdout
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the emulator for %s: %w", f.Name, err)
	}
	go r.read(out)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", invokeAddr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return r, nil
		}
		select {
		case <-r.done:
			r.Stop()
			return nil, fmt.Errorf("the emulator for %s exited: %s", f.Name, r.Output())
		default:
		}
		if time.Now().After(deadline) {
			r.Stop()
			return nil, fmt.Errorf("the emulator for %s did not listen on %s: %s", f.Name, invokeAddr, r.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// read keeps the output and logs the emulator's REPORT lines (init and
// invocation times, as Lambda reports them) and the function's errors.
func (r *Runtime) read(out io.Reader) {
	defer close(r.done)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		r.mu.Lock()
		if r.output.Len() > 256*1024 {
			r.output.Reset()
		}
		r.output.WriteString(line + "\n")
		r.mu.Unlock()
		switch {
		case strings.Contains(line, "INIT REPORT("):
			// The emulator's own measure of the cold start (its REPORT
			// line's "Init Duration" is not).
			_, d, _ := strings.Cut(line, "INIT REPORT(")
			r.log.Info("lambda cold start", "function", r.Function.Name, "init", strings.TrimSuffix(d, ")"))
		case strings.HasPrefix(line, "REPORT "):
			_, d, _ := strings.Cut(line, "\tDuration: ")
			d, _, _ = strings.Cut(d, "\t")
			r.log.Info("lambda invocation", "function", r.Function.Name, "duration", d)
		}
	}
}

// Output is what the function and the emulator printed.
func (r *Runtime) Output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.output.String()
}

// Stop ends the emulator and the function.
func (r *Runtime) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		// The emulator's child, the bootstrap, goes with it.
		emulator.KillGroup(r.cmd.Process.Pid)
		<-r.done
		_ = r.cmd.Wait()
	}
}

// Invoke invokes the function once with payload and returns its answer. A
// function error (the emulator's 502, a timeout) is an error carrying the
// function's output.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", r.Function.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || bytes.HasPrefix(body, []byte("Task timed out")) {
		return nil, fmt.Errorf("%s failed (%d %s); its output:\n%s", r.Function.Name, resp.StatusCode, body, r.tail())
	}
	var fnErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.ErrorMessage != "" && fnErr.ErrorType != "" {
		return nil, &FunctionError{fmt.Errorf("%s returned an error: %s (%s); its output:\n%s", r.Function.Name, fnErr.ErrorMessage, fnErr.ErrorType, r.tail())}
	}
	return body, nil
}

func (r *Runtime) tail() string {
	out := r.Output()
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	return out
}

func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// WithTimeout gives every invocation of an in-process handler the function's
// timeout as its deadline, as Lambda (and the emulator) do.
func WithTimeout(h httpapi.LambdaHandler, timeout time.Duration) httpapi.LambdaHandler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return h(ctx, ev)
	}
}

// Runtimes are every function of a template running under the emulator,
// each as a pool of environments.
type Runtimes map[string]*Pool

// StartRuntimes starts every function of t under the emulator rie, from
// binDir/<name>/bootstrap (built for this machine), with its template
// environment resolved to the local resources (l), then put over it: its own way to AWS (access: the enforcing layer's endpoint and the
// function's credentials, Local.Access), then overrides (for `make dev`,
// the local settings and plain-HTTP cookies). Each function starts with one
// environment and grows on demand (Pool).
func StartRuntimes(ctx context.Context, t Template, rie, binDir string, l Locals, overrides map[string]string, access func(function string) map[string]string, log *slog.Logger) (Runtimes, error) {
	rs := Runtimes{}
	for _, name := range slices.Sorted(maps.Keys(t.Functions)) {
		f := t.Functions[name]
		env, err := t.Resolve(f, l)
		if err != nil {
			rs.Stop()
			return nil, err
		}
		maps.Copy(env, access(name))
		maps.Copy(env, overrides)
		bootstrap := filepath.Join(binDir, name, "bootstrap")
		p, err := NewPool(ctx, f, func(ctx context.Context) (*Runtime, error) {
			return StartRuntime(ctx, rie, bootstrap, f, env, log)
		}, log)
		if err != nil {
			rs.Stop()
			return nil, err
		}
		rs[name] = p
	}
	return rs, nil
}

// HTTP are the handlers of the functions the gateway routes to.
func (rs Runtimes) HTTP() map[string]httpapi.LambdaHandler {
	out := map[string]httpapi.LambdaHandler{}
	for name, p := range rs {
		out[name] = p.HTTP()
	}
	return out
}

// Invoke is the Invoker of the functions under the RIE.
func (rs Runtimes) Invoke(ctx context.Context, function string, payload []byte) error {
	p, ok := rs[function]
	if !ok {
		return fmt.Errorf("no function %s runs under the RIE", function)
	}
	_, err := p.Invoke(ctx, payload)
	return err
}

// Stop ends every runtime.
func (rs Runtimes) Stop() {
	for _, p := range rs {
		p.Stop()
	}
}
