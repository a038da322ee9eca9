// Package emulator starts the real AWS API emulators the local stack and the
// integration tests run against: AWS's DynamoDB Local (Java, from Maven
// Central) and moto in server mode (SQS, SES). Both listen on 127.0.0.1 only,
// on ports chosen free at start, and die with the process that started them.
// `make tools` installs them under .tools/.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// EnvToolsDir overrides where the emulators are installed.
const EnvToolsDir = "OPENREG_TOOLS_DIR"

// Region and credentials the emulators accept; none of them is real.
const (
	Region    = "us-east-1"
	AccessKey = "local"
	SecretKey = "local"
)

// Stack is a running pair of emulators.
type Stack struct {
	// DynamoDB and Moto are the base URLs (http://127.0.0.1:port).
	DynamoDB string
	Moto     string
	procs    []*exec.Cmd
	logs     []*logFile
	once     sync.Once
}

// Options choose ports (0 picks a free one) and where logs go.
type Options struct {
	ToolsDir     string
	DynamoDBPort int
	MotoPort     int
	// LogDir receives dynamodb.log and moto.log; a temp dir when empty.
	LogDir string
}

// ToolsDir finds .tools/ in the module root above the working directory, or
// returns $OPENREG_TOOLS_DIR.
func ToolsDir() (string, error) {
	if d := os.Getenv(EnvToolsDir); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".tools"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("emulator: no go.mod above the working directory; set " + EnvToolsDir)
		}
		dir = parent
	}
}

// Start launches both emulators and waits until they answer.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.ToolsDir == "" {
		d, err := ToolsDir()
		if err != nil {
			return nil, err
		}
		o.ToolsDir = d
	}
	if o.LogDir == "" {
		d, err := os.MkdirTemp("", "openreg-emulators-")
		if err != nil {
			return nil, err
		}
		o.LogDir = d
	}
	lib := filepath.Join(o.ToolsDir, "dynamodb", "lib")
	classes := filepath.Join(o.ToolsDir, "dynamodb", "classes")
	motoBin := filepath.Join(o.ToolsDir, "venv", "bin", "moto_server")
	for _, need := range []string{filepath.Join(lib, "DynamoDBLocal-2.6.1.jar"), filepath.Join(classes, "LoopbackDynamoDBLocal.class"), motoBin} {
		if _, err := os.Stat(need); err != nil {
			return nil, fmt.Errorf("emulator: %s is missing; run `make tools` first", need)
		}
	}
	s := &Stack{}
	var err error
	if o.DynamoDBPort == 0 {
		if o.DynamoDBPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	if o.MotoPort == 0 {
		if o.MotoPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	s.DynamoDB = fmt.Sprintf("http://127.0.0.1:%d", o.DynamoDBPort)
	s.Moto = fmt.Sprintf("http://127.0.0.1:%d", o.MotoPort)

	java := exec.Command("java", "-Xmx512m", "-Djava.library.path="+lib,
		"-cp", classes+string(os.PathListSeparator)+filepath.Join(lib, "*"),
		"LoopbackDynamoDBLocal", "-inMemory", "-sharedDb", "-disableTelemetry", "-port", fmt.Sprint(o.DynamoDBPort))
	if err := s.launch(java, filepath.Join(o.LogDir, "dynamodb.log")); err != nil {
		return nil, err
	}
	moto := exec.Command(motoBin, "-H", "127.0.0.1", "-p", fmt.Sprint(o.MotoPort))
	if err := s.launch(moto, filepath.Join(o.LogDir, "moto.log")); err != nil {
		s.Stop()
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := waitHTTP(waitCtx, s.DynamoDB+"/", func(code int) bool { return code > 0 }); err != nil {
		s.Stop()
		return nil, fmt.Errorf("emulator: DynamoDB Local did not start (log: %s): %w", s.logs[0].path, err)
	}
	if err := waitHTTP(waitCtx, s.Moto+"/moto-api/", func(code int) bool { return code == http.StatusOK }); err != nil {
		s.Stop()
		return nil, fmt.Errorf("emulator: moto did not start (log: %s): %w", s.logs[1].path, err)
	}
	return s, nil
}

// Env returns the standard AWS SDK settings that point every client at the
// emulators; the code under test reads them exactly as it reads real ones.
func (s *Stack) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": s.DynamoDB,
		// The table's stream, read by the local Pipe.
		"AWS_ENDPOINT_URL_DYNAMODB_STREAMS": s.DynamoDB,
		"AWS_ENDPOINT_URL_SQS":              s.Moto,
		"AWS_ENDPOINT_URL_SESV2":            s.Moto,
		"AWS_ENDPOINT_URL_EVENTBRIDGE":      s.Moto,
		"AWS_ENDPOINT_URL_SSM":              s.Moto,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":  s.Moto,
		"AWS_REGION":                        Region,
		"AWS_ACCESS_KEY_ID":                 AccessKey,
		"AWS_SECRET_ACCESS_KEY":             SecretKey,
		// A developer's session token or endpoint switch must not leak
		// into requests to the emulators.
		"AWS_SESSION_TOKEN":                   "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
		// A developer's shared config must not redirect the tests.
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_CA_BUNDLE":               "",
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

// Stop ends both emulators.
func (s *Stack) Stop() {
	s.once.Do(func() {
		for _, p := range s.procs {
			if p.Process != nil {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
		}
		for _, l := range s.logs {
			_ = l.f.Close()
		}
	})
}

// Logs returns the tail of the emulators' logs, for failure reports.
func (s *Stack) Logs() string {
	var b strings.Builder
	for _, l := range s.logs {
		data, _ := os.ReadFile(l.path)
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", l.path, data)
	}
	return b.String()
}

type logFile struct {
	path string
	f    io.WriteCloser
}

func (s *Stack) launch(cmd *exec.Cmd, logPath string) error {
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = ChildProcess()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("emulator: start %s: %w", cmd.Path, err)
	}
	s.procs = append(s.procs, cmd)
	s.logs = append(s.logs, &logFile{path: logPath, f: f})
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(ctx context.Context, url string, ok func(int) bool) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if ok(resp.StatusCode) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last error: %v)", url, ctx.Err(), err)
		case <-time.After(150 * time.Millisecond):
		}
	}
}
