package sizing_test

import (
	"testing"

	"github.com/openreg/registration/internal/functions"
	"github.com/openreg/registration/internal/sizing"
)

// TestEveryFunctionIsSized: a function without a size would deploy with
// 0 MB, which CloudFormation refuses only at deploy time.
func TestEveryFunctionIsSized(t *testing.T) {
	for _, fn := range functions.All {
		if sizing.MemoryMB[fn] == 0 || sizing.TimeoutSeconds[fn] == 0 {
			t.Errorf("%s: %d MB, %d s", fn, sizing.MemoryMB[fn], sizing.TimeoutSeconds[fn])
		}
	}
	if len(sizing.MemoryMB) != len(functions.All) || len(sizing.TimeoutSeconds) != len(functions.All) {
		t.Errorf("sizes for %d and %d functions, want %d", len(sizing.MemoryMB), len(sizing.TimeoutSeconds), len(functions.All))
	}
}
