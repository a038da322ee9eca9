package cost

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// flows is how many flows a Breakdown's dollar figures are for.
const flows = 1e6

// Breakdown is what a million flows cost, service by service, in dollars.
type Breakdown struct {
	Prices Prices
	Usage  Usage // per flow

	APIGateway     float64
	LambdaRequests float64
	LambdaCompute  float64
	DynamoWrites   float64
	DynamoReads    float64
	DynamoStreams  float64
	Pipes          float64
	SQS            float64
	SES            float64

	Steps []StepCost
}

// StepCost is one step's share of a Breakdown.
type StepCost struct {
	Name       string
	Times      float64
	Usage      Usage   // per pass through the step
	BeforeMail float64 // dollars per million flows, Times applied
	Mail       float64 // dollars per million flows, Times applied
}

// Line is one row of a Breakdown.
type Line struct {
	Service string
	Usage   string  // per flow, with its unit
	Dollars float64 // per million flows
}

// Price prices a million passes through f at prices p.
func Price(p Prices, f Flow) (Breakdown, error) {
	b := Breakdown{Prices: p}
	for _, s := range f {
		u, err := s.Usage()
		if err != nil {
			return Breakdown{}, err
		}
		t := s.times()
		b.Usage.add(u, t)
		var one Breakdown
		one.charge(p, u, t)
		b.Steps = append(b.Steps, StepCost{Name: s.Name, Times: t, Usage: u, BeforeMail: one.BeforeMail(), Mail: one.SES})
	}
	b.charge(p, b.Usage, 1)
	return b, nil
}

// charge sets the dollar fields for a million flows that use u, times over.
func (b *Breakdown) charge(p Prices, u Usage, times float64) {
	perMillion := func(n, price float64) float64 { return n * times * price } // n per flow × 1e6 flows × price per 1e6
	b.APIGateway = perMillion(u.APIRequests, p.HTTPAPIPerMillionRequests)
	b.LambdaRequests = perMillion(u.LambdaRequests, p.LambdaPerMillionRequests)
	b.LambdaCompute = u.GBSeconds * times * flows * p.LambdaArmPerGBSecond
	b.DynamoWrites = perMillion(u.WriteUnits, p.DynamoPerMillionWRU)
	b.DynamoReads = perMillion(u.ReadUnits, p.DynamoPerMillionRRU)
	b.DynamoStreams = perMillion(u.StreamReads, p.StreamsPerMillionReads)
	b.Pipes = perMillion(u.PipeRequests, p.PipesPerMillionRequests)
	b.SQS = perMillion(u.QueueRequests, p.SQSPerMillionRequests)
	b.SES = u.Mails * times * flows / 1000 * p.SESPerThousandMails
}

// BeforeMail is the cost of a million flows without SES.
func (b Breakdown) BeforeMail() float64 {
	return b.APIGateway + b.LambdaRequests + b.LambdaCompute + b.DynamoWrites + b.DynamoReads +
		b.DynamoStreams + b.Pipes + b.SQS
}

// Total is the cost of a million flows, mail included.
func (b Breakdown) Total() float64 { return b.BeforeMail() + b.SES }

// WithinTarget reports whether a million flows cost no more than
// TargetBeforeMail before mail.
func (b Breakdown) WithinTarget() bool { return b.BeforeMail() <= TargetBeforeMail }

// Lines lists the services before mail, in the order of the request path.
func (b Breakdown) Lines() []Line {
	u := b.Usage
	return []Line{
		{"API Gateway HTTP API", count(u.APIRequests, "request"), b.APIGateway},
		{"Lambda requests", count(u.LambdaRequests, "invocation"), b.LambdaRequests},
		{"Lambda compute (arm64)", fmt.Sprintf("%.6g GB-s", u.GBSeconds), b.LambdaCompute},
		{"DynamoDB writes", fmt.Sprintf("%.6g WRU", u.WriteUnits), b.DynamoWrites},
		{"DynamoDB reads", fmt.Sprintf("%.6g RRU", u.ReadUnits), b.DynamoReads},
		{"DynamoDB Streams reads", count(u.StreamReads, "GetRecords call"), b.DynamoStreams},
		{"EventBridge Pipes", count(u.PipeRequests, "request"), b.Pipes},
		{"SQS", count(u.QueueRequests, "request"), b.SQS},
	}
}

func count(n float64, unit string) string {
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%.6g %s", n, unit)
}

// Table writes the breakdown as a table: one row per service, the total
// before mail against TargetBeforeMail, SES, the total, then each step's share.
func (b Breakdown) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	fmt.Fprintf(tw, "Cost of 1,000,000 flows (%s prices checked %s)\n", b.Prices.Region, b.Prices.Checked)
	row("service", "usage per flow", "$ per 1M flows")
	for _, l := range b.Lines() {
		row(l.Service, l.Usage, dollars(l.Dollars))
	}
	verdict := "within"
	if !b.WithinTarget() {
		verdict = "OVER"
	}
	row("before mail", fmt.Sprintf("%s target of %.2f", verdict, TargetBeforeMail), dollars(b.BeforeMail()))
	row("SES", count(b.Usage.Mails, "mail"), dollars(b.SES))
	row("total", "", dollars(b.Total()))
	fmt.Fprintln(tw)
	row("step", "times per flow", "$ before mail")
	for _, s := range b.Steps {
		row(s.Name, fmt.Sprintf("%.6g", s.Times), dollars(s.BeforeMail))
	}
	return tw.Flush()
}

// String is the Table.
func (b Breakdown) String() string {
	var sb strings.Builder
	_ = b.Table(&sb) // a strings.Builder does not fail
	return sb.String()
}

func dollars(d float64) string { return fmt.Sprintf("%10.2f", d) }

// StoragePerMonth is what keeping items items of itemBytes bytes each costs
// a month, with DynamoDB's 100 bytes of per-item overhead and without the
// free 25 GB.
func StoragePerMonth(p Prices, items, itemBytes int64) float64 {
	const gb = 1 << 30
	return float64(items*(itemBytes+100)) / gb * p.DynamoStoragePerGBMonth
}
