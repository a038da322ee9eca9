package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// BuildFlags are the Makefile's GOFLAGS_LAMBDA: no RPC mode, reproducible
// paths, no symbol tables, debug information or build id.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w -buildid="}

// Build compiles pkg (a package path such as ./functions/register, or a
// .go file) in moduleDir into out for goos/goarch, as `make build` does:
// CGO_ENABLED=0, BuildFlags, GOFLAGS=-buildvcs=false.
func Build(ctx context.Context, moduleDir, pkg, out, goos, goarch string) error {
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	goflags := strings.TrimSpace(os.Getenv("GOFLAGS") + " -buildvcs=false")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS="+goflags)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s (%s/%s): %w\n%s", pkg, goos, goarch, err, stderr.Bytes())
	}
	return nil
}

// Functions lists the function names under moduleDir/functions: each
// directory that holds Go files.
func Functions(moduleDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(moduleDir, "functions"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if m, _ := filepath.Glob(filepath.Join(moduleDir, "functions", e.Name(), "*.go")); len(m) > 0 {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// ModuleRoot finds the directory with go.mod at or above dir.
func ModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devstack: no go.mod above " + dir)
		}
		dir = parent
	}
}
