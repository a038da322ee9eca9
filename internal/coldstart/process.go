package coldstart

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openreg/registration/internal/emulator"
)

// Options describe one execution environment.
type Options struct {
	// Binary is the bootstrap to run.
	Binary string
	// FunctionName and MemoryMB fill the AWS_LAMBDA_* variables.
	FunctionName string
	MemoryMB     int
	// Region is AWS_REGION (us-east-1 when empty).
	Region string
	// Timeout is the function timeout; each event's deadline is this far
	// after it is handed out (10 s when zero).
	Timeout time.Duration
	// Env is the function's own environment (KEY=VALUE), applied after the
	// variables Lambda sets, so it may override them.
	Env []string
}

// Process is a bootstrap running against its own RuntimeAPI.
type Process struct {
	API *RuntimeAPI

	cmd     *exec.Cmd
	started time.Time
	out     *tail
	exited  chan struct{}
	waitErr error
}

// Start execs the bootstrap with the environment Lambda gives a provided.al2023
// function plus o.Env. The clock for init starts just before the exec.
func Start(o Options) (*Process, error) {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 128
	}
	// The process runs in the binary's directory (Lambda's /var/task), so a
	// relative path would no longer name it.
	bin, err := filepath.Abs(o.Binary)
	if err != nil {
		return nil, err
	}
	o.Binary = bin
	arn := fmt.Sprintf("arn:aws:lambda:%s:000000000000:function:%s", o.Region, o.FunctionName)
	api, err := NewRuntimeAPI(arn, o.Timeout)
	if err != nil {
		return nil, err
	}
	out := &tail{max: 16 << 10}
	cmd := exec.Command(o.Binary)
	cmd.Dir = filepath.Dir(o.Binary)
	cmd.Env = append(LambdaEnv(o, api.Addr()), o.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = emulator.ChildProcess()
	p := &Process{API: api, cmd: cmd, out: out, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		api.Close()
		return nil, fmt.Errorf("coldstart: exec %s: %w", o.Binary, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
		api.Abort(fmt.Errorf("coldstart: %s exited (%v); output:\n%s", o.FunctionName, p.waitErr, out.String()))
	}()
	return p, nil
}

// LambdaEnv is the environment Lambda sets for an OS-only runtime
// (provided.al2023), pointed at the Runtime API at addr.
func LambdaEnv(o Options, addr string) []string {
	stream := make([]byte, 16)
	_, _ = rand.Read(stream)
	return []string{
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"AWS_LAMBDA_FUNCTION_NAME=" + o.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(o.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + o.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(stream),
		"AWS_REGION=" + o.Region,
		"AWS_DEFAULT_REGION=" + o.Region,
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(o.Binary),
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
	}
}

// PID is the bootstrap's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Init waits for the first GET /next and returns the time from exec to it.
func (p *Process) Init(ctx context.Context) (time.Duration, error) {
	at, err := p.API.FirstPoll(ctx)
	if err != nil {
		return 0, err
	}
	return at.Sub(p.started), nil
}

// Invoke runs one invocation; an error means no answer at all (a function
// error is a Result with Failed set).
func (p *Process) Invoke(ctx context.Context, payload []byte) (Result, error) {
	return p.API.Invoke(ctx, payload)
}

// PeakRSS is the process's peak resident set size (VmHWM) in bytes.
func (p *Process) PeakRSS() (int64, error) { return p.status("VmHWM") }

// RSS is the process's resident set size now (VmRSS) in bytes.
func (p *Process) RSS() (int64, error) { return p.status("VmRSS") }

func (p *Process) status(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
	if err != nil {
		return 0, err
	}
	return StatusBytes(b, field)
}

// Output is the tail of what the bootstrap wrote to stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// Stop kills the process (Lambda freezes or kills it; it has nothing to
// flush) and closes its Runtime API.
func (p *Process) Stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	_ = p.API.Close()
}

// StatusBytes reads a "Name:   1234 kB" field of /proc/<pid>/status.
func StatusBytes(status []byte, field string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("coldstart: %s: unexpected value %q", field, value)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("coldstart: %s: %w", field, err)
		}
		return n << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("coldstart: no " + field + " in the process status")
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
