//go:build !unix

package e2e

import "time"

// cpuTime is not measured here: the cost model then treats every measured
// millisecond as a wait.
func cpuTime() time.Duration { return 0 }
