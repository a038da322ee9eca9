package cost_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/cost"
)

// round prices: every unit price is a power of ten or one, so the expected
// dollars below can be worked out by hand.
var round = cost.Prices{
	Region:                    "test",
	Checked:                   "2026-12-01",
	LambdaArmPerGBSecond:      0.00001,
	LambdaPerMillionRequests:  0.1,
	HTTPAPIPerMillionRequests: 1,
	DynamoPerMillionWRU:       1,
	DynamoPerMillionRRU:       0.1,
	StreamsPerMillionReads:    0.01,
	PipesPerMillionRequests:   0.001,
	SQSPerMillionRequests:     0.0001,
	SESPerThousandMails:       0.1,
}

func TestInvocationGBSeconds(t *testing.T) {
	tests := []struct {
		name string
		inv  cost.Invocation
		want float64
	}{
		{"128 MB for 100 ms is 0.0125 GB-s", cost.Invocation{MemoryMB: 128, Duration: 100 * time.Millisecond}, 0.0125},
		{"1,024 MB for one second is one GB-s", cost.Invocation{MemoryMB: 1024, Duration: time.Second}, 1},
		{"a duration is billed up to the next millisecond", cost.Invocation{MemoryMB: 1024, Duration: 1200 * time.Microsecond}, 0.002},
		{"an exact millisecond is not rounded up", cost.Invocation{MemoryMB: 1024, Duration: 2 * time.Millisecond}, 0.002},
		{"Count multiplies the invocation", cost.Invocation{MemoryMB: 512, Duration: 10 * time.Millisecond, Count: 4}, 0.5 * 0.01 * 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.inv.GBSeconds(); !near(got, tt.want) {
				t.Errorf("GBSeconds() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChunks(t *testing.T) {
	tests := []struct {
		name        string
		size, chunk int
		want        int
	}{
		{"an HTTP API request of exactly 512 KB is one request", 512 << 10, cost.HTTPAPIChunkBytes, 1},
		{"an HTTP API request of 512 KB and one byte is two", 512<<10 + 1, cost.HTTPAPIChunkBytes, 2},
		{"an SQS message of 64 KB and one byte is two requests", 64<<10 + 1, cost.SQSChunkBytes, 2},
		{"an SQS message of 256 KB is four requests", 256 << 10, cost.SQSChunkBytes, 4},
		{"an empty payload is still one request", 0, cost.PipesChunkBytes, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cost.Chunks(tt.size, tt.chunk); got != tt.want {
				t.Errorf("Chunks(%d, %d) = %d, want %d", tt.size, tt.chunk, got, tt.want)
			}
		})
	}
}

// handFlow uses one of everything, with counts that make each line of the
// breakdown a different, hand-computable figure.
var handFlow = cost.Flow{
	{
		Name:        "register",
		APIRequests: 2,
		Invocations: []cost.Invocation{{Function: "api", MemoryMB: 1024, Duration: 500 * time.Millisecond}},
		Dynamo: []cost.DynamoCall{
			{Op: cost.TransactWriteItems, Sizes: []int{1024, 1024, 1024}}, // 6 WRU
			{Op: cost.GetItem, Sizes: []int{5000}},                        // 2 RRU
		},
	},
	{
		Name:          "mail",
		Times:         0.5,
		StreamReads:   4,
		PipeRequests:  2,
		QueueRequests: 6,
		Invocations:   []cost.Invocation{{Function: "mailer", MemoryMB: 2048, Duration: time.Second, Count: 2}},
		Dynamo:        []cost.DynamoCall{{Op: cost.PutItem, Sizes: []int{100}}}, // 1 WRU
		Mails:         2,
	},
}

func TestPriceAddsUpEachService(t *testing.T) {
	b, err := cost.Price(round, handFlow)
	if err != nil {
		t.Fatal(err)
	}
	// Per flow: register once, mail half the time.
	// API 2; Lambda 1 + 0.5×2 = 2 invocations; 0.5 + 0.5×(2×2) = 2.5 GB-s;
	// 6 + 0.5×1 = 6.5 WRU; 2 RRU; 2 stream reads; 1 pipe request;
	// 3 queue requests; 1 mail.
	checkFigures(t, []figure{
		{"API Gateway is 2 requests at $1 per million", b.APIGateway, 2},
		{"Lambda requests are 2 invocations at $0.1 per million", b.LambdaRequests, 0.2},
		{"Lambda compute is 2.5 GB-s a flow at $0.00001", b.LambdaCompute, 25},
		{"DynamoDB writes are 6.5 WRU at $1 per million", b.DynamoWrites, 6.5},
		{"DynamoDB reads are 2 RRU at $0.1 per million", b.DynamoReads, 0.2},
		{"DynamoDB Streams are 2 reads at $0.01 per million", b.DynamoStreams, 0.02},
		{"Pipes are 1 request at $0.001 per million", b.Pipes, 0.001},
		{"SQS is 3 requests at $0.0001 per million", b.SQS, 0.0003},
		{"SES is 1 mail at $0.1 per thousand", b.SES, 100},
		{"before mail is the sum of the services but SES", b.BeforeMail(), 2 + 0.2 + 25 + 6.5 + 0.2 + 0.02 + 0.001 + 0.0003},
		{"the total adds SES", b.Total(), 2 + 0.2 + 25 + 6.5 + 0.2 + 0.02 + 0.001 + 0.0003 + 100},
		{"the register step costs its own services", b.Steps[0].BeforeMail, 2 + 0.1 + 5 + 6 + 0.2},
		{"the mail step is weighted by its Times", b.Steps[1].BeforeMail, 0.5 * (0.2 + 40 + 1 + 0.04 + 0.002 + 0.0006)},
		{"the mail step carries the mail", b.Steps[1].Mail, 100},
	}, near)
}

func TestPriceComparesWithTheTarget(t *testing.T) {
	cheap := cost.Flow{{Name: "one request", APIRequests: 1}}
	dear := cost.Flow{{Name: "twenty-six requests", APIRequests: 26}}
	tests := []struct {
		name string
		flow cost.Flow
		want bool
	}{
		{"a flow of one $1-per-million request is within the target", cheap, true},
		{"a flow of twenty-six is over it", dear, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := cost.Price(round, tt.flow)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.WithinTarget(); got != tt.want {
				t.Errorf("WithinTarget() = %v at $%.2f, want %v", got, b.BeforeMail(), tt.want)
			}
		})
	}
}

func TestPriceRejectsMalformedSteps(t *testing.T) {
	tests := []struct {
		name string
		flow cost.Flow
		want string
	}{
		{"rejects a Lambda below 128 MB", cost.Flow{{Name: "s", Invocations: []cost.Invocation{{Function: "f", MemoryMB: 64}}}}, "128-10240"},
		{"rejects a negative duration", cost.Flow{{Name: "s", Invocations: []cost.Invocation{{Function: "f", MemoryMB: 128, Duration: -1}}}}, "negative duration"},
		{"rejects a negative request count", cost.Flow{{Name: "s", QueueRequests: -1}}, "negative request count"},
		{"rejects negative Times", cost.Flow{{Name: "s", Times: -1}}, "negative Times"},
		{"names the step of a bad DynamoDB call", cost.Flow{{Name: "confirm", Dynamo: []cost.DynamoCall{{Op: "Bogus"}}}}, `step "confirm"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cost.Price(round, tt.flow)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Price() error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMeasuredAveragesTotalsOverRuns(t *testing.T) {
	totals := cost.Step{
		APIRequests:   8,
		QueueRequests: 12,
		Invocations:   []cost.Invocation{{Function: "api", MemoryMB: 1024, Duration: 100 * time.Millisecond, Count: 4}},
		Dynamo:        []cost.DynamoCall{{Op: cost.Consumed, WriteUnits: 32}},
	}
	s, err := cost.Measured("register", 4, totals)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cost.Price(round, cost.Flow{s})
	if err != nil {
		t.Fatal(err)
	}
	checkFigures(t, []figure{
		{"eight requests over four runs are two a flow", b.Usage.APIRequests, 2},
		{"four invocations over four runs are one a flow", b.Usage.LambdaRequests, 1},
		{"0.4 GB-s over four runs is 0.1 a flow", b.Usage.GBSeconds, 0.1},
		{"32 WRU over four runs are 8 a flow", b.Usage.WriteUnits, 8},
		{"twelve queue requests over four runs are three a flow", b.Usage.QueueRequests, 3},
	}, near)
	if s.Name != "register" {
		t.Errorf("Measured name = %q, want register", s.Name)
	}
	if _, err := cost.Measured("register", 0, totals); err == nil {
		t.Error("Measured over 0 runs: nil error, want one")
	}
}

func TestTableShowsEveryService(t *testing.T) {
	b, err := cost.Price(cost.USEast1, handFlow)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := b.Table(&sb); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, want := range []string{
		"API Gateway HTTP API", "Lambda requests", "Lambda compute (arm64)", "DynamoDB writes", "DynamoDB reads",
		"DynamoDB Streams reads", "EventBridge Pipes", "SQS", "before mail", "SES", "total",
		"register", "mail", "us-east-1", "2026-12-01", "6.5 WRU",
	} {
		t.Run("the table shows "+want, func(t *testing.T) {
			if !strings.Contains(out, want) {
				t.Errorf("table has no %q:\n%s", want, out)
			}
		})
	}
	if b.String() != out {
		t.Error("String() differs from Table()")
	}
}

func TestStoragePerMonth(t *testing.T) {
	p := cost.Prices{DynamoStoragePerGBMonth: 0.25}
	// 1,048,576 items of 924 bytes plus 100 bytes of overhead are 1 GiB.
	if got := cost.StoragePerMonth(p, 1<<20, 924); !near(got, 0.25) {
		t.Errorf("StoragePerMonth() = %v, want 0.25", got)
	}
}
