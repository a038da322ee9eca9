package cost

import (
	"fmt"
	"time"
)

// Invocation is Count runs of one Lambda function (arm64).
type Invocation struct {
	Function string
	MemoryMB int           // configured memory, 128 to 10,240
	Duration time.Duration // billed duration of one run, init included on a cold start; rounded up to 1 ms
	Count    int           // runs per pass; 0 means 1
}

// GBSeconds is the billed compute: memory in GB (MB/1024) times the
// duration rounded up to the millisecond, times Count.
func (i Invocation) GBSeconds() float64 {
	ms := (i.Duration + time.Millisecond - 1) / time.Millisecond
	return float64(i.MemoryMB) / 1024 * float64(ms) / 1000 * float64(i.count())
}

func (i Invocation) count() int { return max(i.Count, 1) }

func (i Invocation) validate() error {
	switch {
	case i.MemoryMB < 128 || i.MemoryMB > 10240:
		return fmt.Errorf("cost: %s: memory %d MB is outside Lambda's 128-10240 MB", i.Function, i.MemoryMB)
	case i.Duration < 0:
		return fmt.Errorf("cost: %s: negative duration %v", i.Function, i.Duration)
	case i.Count < 0:
		return fmt.Errorf("cost: %s: negative count %d", i.Function, i.Count)
	}
	return nil
}

// Step is what one pass through a part of the flow uses. Counts are billed
// requests: pass a request or message larger than its service's chunk
// through Chunks first.
type Step struct {
	Name string
	// Times is how often the step happens per flow: 0.2 for a resend that
	// one user in five asks for. 0 means 1.
	Times float64

	APIRequests   int // API Gateway HTTP API requests (512 KB chunks)
	Invocations   []Invocation
	Dynamo        []DynamoCall
	StreamReads   int // DynamoDB Streams GetRecords calls that this step causes (usually 0: polling is a fixed cost)
	PipeRequests  int // events that pass the pipe's filter (64 KB chunks)
	QueueRequests int // SQS API calls: SendMessage, ReceiveMessage, DeleteMessage, ... (64 KB chunks)
	Mails         int // outbound mails (recipients)
}

// Flow is one registration, or any other journey, step by step.
type Flow []Step

// Measured turns the totals a benchmark counted over runs passes into a
// step for one pass: the totals are kept and Times is divided by runs.
// Invocation durations in totals should be the mean over the runs, with
// Count holding the number of invocations.
func Measured(name string, runs int, totals Step) (Step, error) {
	if runs <= 0 {
		return Step{}, fmt.Errorf("cost: %s: measured over %d runs", name, runs)
	}
	totals.Name = name
	totals.Times = totals.times() / float64(runs)
	return totals, nil
}

func (s Step) times() float64 {
	if s.Times == 0 {
		return 1
	}
	return s.Times
}

// Chunks is how many requests a payload of size bytes is billed as, for a
// service that meters in chunk-byte increments: at least one.
func Chunks(size, chunk int) int {
	if chunk <= 0 {
		return 1
	}
	return max(1, (size+chunk-1)/chunk)
}

// Usage is what one flow uses, on average.
type Usage struct {
	APIRequests    float64
	LambdaRequests float64
	GBSeconds      float64
	WriteUnits     float64
	ReadUnits      float64
	StreamReads    float64
	PipeRequests   float64
	QueueRequests  float64
	Mails          float64
}

func (u *Usage) add(v Usage, times float64) {
	u.APIRequests += v.APIRequests * times
	u.LambdaRequests += v.LambdaRequests * times
	u.GBSeconds += v.GBSeconds * times
	u.WriteUnits += v.WriteUnits * times
	u.ReadUnits += v.ReadUnits * times
	u.StreamReads += v.StreamReads * times
	u.PipeRequests += v.PipeRequests * times
	u.QueueRequests += v.QueueRequests * times
	u.Mails += v.Mails * times
}

// Usage is what one pass through the step uses (Times not applied).
func (s Step) Usage() (Usage, error) {
	switch {
	case s.Times < 0:
		return Usage{}, fmt.Errorf("cost: step %q: negative Times %v", s.Name, s.Times)
	case s.APIRequests < 0, s.StreamReads < 0, s.PipeRequests < 0, s.QueueRequests < 0, s.Mails < 0:
		return Usage{}, fmt.Errorf("cost: step %q: negative request count", s.Name)
	}
	u := Usage{
		APIRequests:   float64(s.APIRequests),
		StreamReads:   float64(s.StreamReads),
		PipeRequests:  float64(s.PipeRequests),
		QueueRequests: float64(s.QueueRequests),
		Mails:         float64(s.Mails),
	}
	for _, inv := range s.Invocations {
		if err := inv.validate(); err != nil {
			return Usage{}, fmt.Errorf("step %q: %w", s.Name, err)
		}
		u.LambdaRequests += float64(inv.count())
		u.GBSeconds += inv.GBSeconds()
	}
	for _, c := range s.Dynamo {
		units, err := c.Units()
		if err != nil {
			return Usage{}, fmt.Errorf("step %q: %w", s.Name, err)
		}
		u.WriteUnits += units.Write
		u.ReadUnits += units.Read
	}
	return u, nil
}
