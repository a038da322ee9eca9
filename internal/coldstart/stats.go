package coldstart

import (
	"math"
	"slices"
	"time"
)

// Median is the middle value (the mean of the two middle values for an even
// count); 0 for none. It does not reorder ds.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Lambda's compute model and arm64 prices in us-east-1
// (https://aws.amazon.com/lambda/pricing/).
const (
	// FullCPUMemoryMB is the memory size that gets one whole vCPU; smaller
	// sizes get CPU time in proportion.
	FullCPUMemoryMB = 1769
	// PricePerGBSecond is the arm64 duration price.
	PricePerGBSecond = 0.0000133334
	// PricePerMillionRequests is the request price.
	PricePerMillionRequests = 0.20
)

// CPUQuota is the CFS quota per period that gives a process the CPU share
// of a Lambda function of memoryMB: period × memoryMB/1769, at most one CPU
// and at least the kernel's minimum of 1 ms.
func CPUQuota(memoryMB int, period time.Duration) time.Duration {
	q := time.Duration(float64(period) * float64(memoryMB) / FullCPUMemoryMB)
	return min(max(q, time.Millisecond), period)
}

// PricePerMillion is what a million invocations of duration d cost at
// memoryMB: duration billed in whole milliseconds, rounded up, plus the
// request price.
func PricePerMillion(d time.Duration, memoryMB int) float64 {
	billedMS := math.Ceil(float64(d) / float64(time.Millisecond))
	gbSeconds := billedMS / 1000 * float64(memoryMB) / 1024
	return gbSeconds*PricePerGBSecond*1e6 + PricePerMillionRequests
}

// SizePoint is one memory size's measured duration and its price.
type SizePoint struct {
	MemoryMB int
	Duration time.Duration
	// PricePerMillion is PricePerMillion(Duration, MemoryMB).
	PricePerMillion float64
}

// Choose returns the index of the cheapest point and of the fastest point
// that costs at most 10% more than the cheapest; -1, -1 for none.
func Choose(points []SizePoint) (cheapest, fastWithin10 int) {
	if len(points) == 0 {
		return -1, -1
	}
	cheapest = 0
	for i, p := range points {
		if p.PricePerMillion < points[cheapest].PricePerMillion {
			cheapest = i
		}
	}
	fastWithin10 = cheapest
	limit := points[cheapest].PricePerMillion * 1.10
	for i, p := range points {
		if p.PricePerMillion <= limit && p.Duration < points[fastWithin10].Duration {
			fastWithin10 = i
		}
	}
	return cheapest, fastWithin10
}
