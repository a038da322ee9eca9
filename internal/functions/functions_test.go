package functions_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openreg/registration/internal/functions"
)

// TestAllIsEveryDirectory: a function added under functions/ (which the
// Makefile builds) and not here would be built and never deployed; one
// named here without its directory would fail the stack's synth.
func TestAllIsEveryDirectory(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if m, _ := filepath.Glob(filepath.Join("..", "..", "functions", e.Name(), "*.go")); e.IsDir() && len(m) > 0 {
			dirs = append(dirs, e.Name())
		}
	}
	if got := slices.Sorted(slices.Values(functions.All)); !slices.Equal(got, dirs) {
		t.Fatalf("functions.All = %v, functions/ holds %v", got, dirs)
	}
}
