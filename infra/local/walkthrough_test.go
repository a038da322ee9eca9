package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// scriptTimeout bounds one walk-through; each waits at most 20 s for any one
// mail or event.
const scriptTimeout = 2 * time.Minute

// TestWalkthroughs starts the local stack as `make dev` does (the
// synthesized template on the emulators with its IAM enforced, the local
// settings, the functions in process, the Pipes, the mailer's event source
// mapping, the mailbox and events pages, the stage's throttles) and runs
// every walk-through in walkthroughs/ against it, in order, as a developer
// would against `make dev`. Only the stack's address (a free port, so the
// mailed links point at it), its admin token's and server key's files and
// its resources' names differ.
func TestWalkthroughs(t *testing.T) {
	emu := testenv.Stack(t)
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walk-throughs need %s (.ci/run installs it): %v", tool, err)
		}
	}
	scripts := walkthroughs(t)
	root := moduleRoot(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	dir := t.TempDir()
	o := options{
		addr:           ln.Addr().String(),
		settingsFile:   localSettings(t, base, dir),
		adminTokenFile: filepath.Join(dir, "admin-token"),
		lambda:         "inprocess",
		template:       filepath.Join(root, devstack.TemplatePath),
		throttle:       true,
		prefix:         testenv.Name("walk"),
	}
	logs := &syncBuffer{}
	st, err := up(context.Background(), o, emu, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("the local stack did not start: %v\n%s", err, logs)
	}
	t.Cleanup(st.Close)
	srv := &http.Server{Handler: st.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	env := append(os.Environ(), "API="+base,
		"ADMIN_TOKEN="+readTrimmed(t, o.adminTokenFile),
		"SERVER_KEY="+readTrimmed(t, filepath.Join(dir, "server-key")),
		// The emulators serve the whole test binary (-count=n runs again
		// on the same moto mailbox): this run's addresses are its own.
		"RUN="+randomHex(t))
	for _, script := range scripts {
		name := filepath.Base(script)
		rel, err := filepath.Rel(root, script)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(name, ".sh"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
			defer cancel()
			from := logs.Len()
			cmd := exec.CommandContext(ctx, script)
			cmd.Env = env
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (killed after %s)", err, scriptTimeout)
			}
			if err != nil {
				t.Fatalf("walk-through %s failed: %v\n--- its output\n%s--- what the local stack logged meanwhile (the end)\n%s",
					rel, err, out, tail(logs.Since(from), 60))
			}
			t.Logf("%s passed in %s", name, time.Since(start).Round(100*time.Millisecond))
			if testing.Verbose() {
				t.Logf("%s", out)
			}
		})
	}
}

// walkthroughs are the executable scripts in walkthroughs/, in name order.
func walkthroughs(t *testing.T) []string {
	t.Helper()
	scripts, err := filepath.Glob(filepath.Join("walkthroughs", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range scripts {
		if filepath.Base(s) == "lib.sh" {
			continue
		}
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable (chmod +x it)", s)
		}
		abs, err := filepath.Abs(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, abs)
	}
	if len(out) == 0 {
		t.Fatal("no walk-throughs in walkthroughs/")
	}
	return out
}

// localSettings writes the local settings (settings.json, what `make dev`
// runs with) with their URLs at base and the server storefront key's file
// in dir, and returns the file's path.
func localSettings(t *testing.T, base, dir string) string {
	t.Helper()
	b, err := os.ReadFile("settings.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	urls, ok := doc["urls"].(map[string]any)
	if !ok {
		t.Fatal("settings.json has no urls")
	}
	urls["publicApi"], urls["storefront"] = base, base
	keys, ok := doc["serverKeys"].([]any)
	if !ok || len(keys) != 1 {
		t.Fatalf("settings.json: want one server key, have %v", doc["serverKeys"])
	}
	keys[0].(map[string]any)["secret"] = "file:" + filepath.Join(dir, "server-key")
	b, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestReadmeShowsTheWalkthroughs checks that every sh block of README.md
// marked `<!-- walk-through: infra/local/walkthroughs/NAME.sh -->` is an
// excerpt of that script: its lines are lines of the script, in the same
// order, so the README shows commands the walk-through test runs.
func TestReadmeShowsTheWalkthroughs(t *testing.T) {
	root := moduleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := markedBlocks(t, string(readme))
	if len(blocks) == 0 {
		t.Fatal("README.md marks no sh block as a walk-through's excerpt")
	}
	for _, b := range blocks {
		script, err := os.ReadFile(filepath.Join(root, b.script))
		if err != nil {
			t.Errorf("README.md line %d: %v", b.line, err)
			continue
		}
		if line, missing := excerptOf(b.lines, strings.Split(string(script), "\n")); missing != "" {
			t.Errorf("README.md line %d: %q is not a line of %s (after the block's previous lines); make the README show the script's commands",
				b.line+line, missing, b.script)
		}
	}
}

// TestWalkthroughIndex checks that walkthroughs/README.md names every
// walk-through.
func TestWalkthroughIndex(t *testing.T) {
	index, err := os.ReadFile(filepath.Join("walkthroughs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range walkthroughs(t) {
		if name := filepath.Base(s); !strings.Contains(string(index), "("+name+")") {
			t.Errorf("walkthroughs/README.md does not link %s", name)
		}
	}
}

type markedBlock struct {
	script string
	line   int // of the block's first line, from 1
	lines  []string
}

var walkthroughMark = regexp.MustCompile(`^<!-- walk-through: (\S+) -->$`)

// markedBlocks finds the sh blocks that follow a walk-through mark.
func markedBlocks(t *testing.T, doc string) []markedBlock {
	t.Helper()
	var blocks []markedBlock
	var cur *markedBlock
	script := ""
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		case walkthroughMark.MatchString(line):
			script = walkthroughMark.FindStringSubmatch(line)[1]
		case script != "" && line == "```sh":
			cur = &markedBlock{script: script, line: n + 1}
			script = ""
		case script != "" && strings.TrimSpace(line) != "":
			t.Errorf("README.md line %d: a walk-through mark must come right before its ```sh block", n)
			script = ""
		}
	}
	if cur != nil {
		t.Errorf("README.md: the block of line %d never ends", cur.line)
	}
	return blocks
}

// excerptOf reports the first non-blank line of excerpt (its index, and
// the line) that does not follow the ones before it in script; "" when
// every one does.
func excerptOf(excerpt, script []string) (int, string) {
	at := 0
	for i, l := range excerpt {
		if strings.TrimSpace(l) == "" {
			continue
		}
		for at < len(script) && strings.TrimRight(script[at], " ") != strings.TrimRight(l, " ") {
			at++
		}
		if at == len(script) {
			return i, l
		}
		at++
	}
	return 0, ""
}

func TestExcerptOf(t *testing.T) {
	script := []string{"a", "b", "", "c"}
	for _, c := range []struct {
		excerpt []string
		missing string
	}{
		{[]string{"a", "c"}, ""},
		{[]string{"b", "", "c"}, ""},
		{[]string{"c", "a"}, "a"},
		{[]string{"a", "x"}, "x"},
		{[]string{"a", "a"}, "a"},
	} {
		if _, got := excerptOf(c.excerpt, script); got != c.missing {
			t.Errorf("excerptOf(%q) = %q, want %q", c.excerpt, got, c.missing)
		}
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := devstack.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readTrimmed(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

// syncBuffer keeps what the local stack logged.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func (s *syncBuffer) Since(offset int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b.Bytes()[offset:])
}

func (s *syncBuffer) String() string { return s.Since(0) }
