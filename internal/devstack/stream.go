package devstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/openreg/registration/internal/devstack/eventpattern"
)

// Pipe runs one of the template's AWS::Pipes::Pipe resources locally, as
// EventBridge Pipes runs it in AWS: it reads the DynamoDB stream the Pipe
// names (from its starting position, in batches of its batch size), keeps
// the records its filter criteria match, applies its input template and
// delivers them to its target (an SQS queue or an event bus), with the
// Pipe's own role's credentials. It moves past a batch only once the
// target took all of it; a batch the target keeps refusing is retried up to
// the Pipe's maximum retry attempts and then described in its dead-letter
// queue, and the Pipe moves on.
type Pipe struct {
	Def     PipeDef
	clients Clients
	log     *slog.Logger

	stream  string
	filters []*eventpattern.Pattern
	// queueURL or bus is the target; dlqURL the dead-letter queue.
	queueURL, bus, dlqURL string

	mu sync.Mutex
	// after is the last sequence number handled, per shard.
	after map[string]string
	// done marks closed shards read to their end.
	done map[string]bool
	// failures counts the attempts at each shard's current batch.
	failures map[string]int
}

// NewPipe prepares a Pipe of the template on the local resources, its
// calls made with clients (the Pipe's role's: ClientsAs).
func NewPipe(def PipeDef, l Locals, clients Clients, log *slog.Logger) (*Pipe, error) {
	p := &Pipe{Def: def, clients: clients, log: log, after: map[string]string{}, done: map[string]bool{}, failures: map[string]int{}}
	var err error
	if p.stream, err = l.String(def.Source); err != nil {
		return nil, fmt.Errorf("pipe %s source: %w", def.LogicalID, err)
	}
	for _, f := range def.Filters {
		pat, err := eventpattern.CompileForPipes(f)
		if err != nil {
			return nil, fmt.Errorf("pipe %s filter %s: %w", def.LogicalID, f, err)
		}
		p.filters = append(p.filters, pat)
	}
	target, err := l.String(def.Target)
	if err != nil {
		return nil, fmt.Errorf("pipe %s target: %w", def.LogicalID, err)
	}
	switch id, _ := l.ByAttr("Arn", target); {
	case strings.Contains(target, ":sqs:") && l[id]["QueueUrl"] != "":
		p.queueURL = l[id]["QueueUrl"]
	case strings.Contains(target, ":events:") && strings.Contains(target, ":event-bus/"):
		p.bus = target
	default:
		return nil, fmt.Errorf("pipe %s: target %s is neither a queue nor an event bus of the template", def.LogicalID, target)
	}
	if def.DeadLetter != nil {
		dlq, err := l.String(def.DeadLetter)
		if err != nil {
			return nil, fmt.Errorf("pipe %s dead-letter queue: %w", def.LogicalID, err)
		}
		id, _ := l.ByAttr("Arn", dlq)
		if p.dlqURL = l[id]["QueueUrl"]; p.dlqURL == "" {
			return nil, fmt.Errorf("pipe %s: dead-letter queue %s is not a queue of the template", def.LogicalID, dlq)
		}
	}
	return p, nil
}

// Pipes are every Pipe of a template, run together.
type Pipes []*Pipe

// Once runs each Pipe once and returns how many records they delivered.
func (ps Pipes) Once(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	for _, p := range ps {
		k, err := p.Once(ctx)
		n += k
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// Run pumps every Pipe until ctx ends, every interval.
func (ps Pipes) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := ps.Once(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pipe", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once delivers every matching record the stream holds that the Pipe has
// not delivered yet, and returns how many it delivered.
func (p *Pipe) Once(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var shards []streamtypes.Shard
	for start := (*string)(nil); ; {
		out, err := p.clients.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(p.stream), ExclusiveStartShardId: start})
		if err != nil {
			return 0, fmt.Errorf("pipe %s: describe stream: %w", p.Def.LogicalID, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if start = out.StreamDescription.LastEvaluatedShardId; start == nil {
			break
		}
	}
	sent := 0
	for _, sh := range shards {
		if p.done[aws.ToString(sh.ShardId)] {
			continue
		}
		n, err := p.drainShard(ctx, sh)
		sent += n
		if err != nil {
			return sent, fmt.Errorf("pipe %s: %w", p.Def.LogicalID, err)
		}
	}
	return sent, nil
}

func (p *Pipe) drainShard(ctx context.Context, sh streamtypes.Shard) (int, error) {
	id := aws.ToString(sh.ShardId)
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(p.stream), ShardId: sh.ShardId,
		ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon}
	if p.Def.StartingPosition == "LATEST" && p.after[id] == "" {
		in.ShardIteratorType = streamtypes.ShardIteratorTypeLatest
	}
	if seq := p.after[id]; seq != "" {
		in.ShardIteratorType = streamtypes.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(seq)
	}
	it, err := p.clients.Streams.GetShardIterator(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("shard iterator: %w", err)
	}
	sent := 0
	for iter := it.ShardIterator; iter != nil; {
		out, err := p.clients.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(int32(p.Def.BatchSize))})
		if err != nil {
			return sent, fmt.Errorf("get records: %w", err)
		}
		if len(out.Records) == 0 {
			if out.NextShardIterator == nil {
				p.done[id] = true
			}
			return sent, nil
		}
		n, err := p.deliver(ctx, out.Records)
		if err != nil {
			n = 0
			p.failures[id]++
			if p.Def.MaximumRetryAttempts < 0 || p.failures[id] <= p.Def.MaximumRetryAttempts {
				return sent, err
			}
			// Retries exhausted: the batch goes to the dead-letter queue (or,
			// without one, is dropped, as Pipes drops it), and the Pipe
			// goes on.
			if p.dlqURL == "" {
				p.log.Warn("pipe dropped a batch", "pipe", p.Def.LogicalID, "records", len(out.Records), "error", err)
			} else if derr := p.deadLetter(ctx, id, out.Records, err); derr != nil {
				return sent, errors.Join(err, derr)
			}
		}
		sent += n
		p.failures[id] = 0
		p.after[id] = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
		iter = out.NextShardIterator
		if iter == nil {
			p.done[id] = true
		}
	}
	return sent, nil
}

// deliver sends a batch's matching records to the target.
func (p *Pipe) deliver(ctx context.Context, records []streamtypes.Record) (int, error) {
	var bodies []string
	var entries []ebtypes.PutEventsRequestEntry
	for _, r := range records {
		doc, err := json.Marshal(streamRecordJSON(r, p.stream))
		if err != nil {
			return 0, err
		}
		if !p.matches(doc) {
			continue
		}
		body, err := eventpattern.Render(p.Def.InputTemplate, doc)
		if p.Def.InputTemplate == "" {
			body, err = string(doc), nil
		}
		if err != nil {
			return 0, fmt.Errorf("input template: %w", err)
		}
		if p.bus == "" {
			bodies = append(bodies, body)
			continue
		}
		detailType := p.Def.DetailType
		if strings.HasPrefix(detailType, "$.") {
			var ev any
			_ = json.Unmarshal(doc, &ev)
			v, ok, err := eventpattern.Lookup(ev, detailType)
			if err != nil || !ok {
				return 0, fmt.Errorf("detail type %s: not in the record (%v)", detailType, err)
			}
			detailType = fmt.Sprint(v)
		}
		entries = append(entries, ebtypes.PutEventsRequestEntry{EventBusName: aws.String(p.bus), Source: aws.String(p.Def.EventSource),
			DetailType: aws.String(detailType), Detail: aws.String(body)})
	}
	if p.bus != "" {
		return len(entries), p.putEvents(ctx, entries)
	}
	return len(bodies), p.sendMessages(ctx, p.queueURL, bodies)
}

func (p *Pipe) matches(doc []byte) bool {
	if len(p.filters) == 0 {
		return true
	}
	for _, f := range p.filters {
		if ok, err := f.Match(doc); err == nil && ok {
			return true
		}
	}
	return false
}

func (p *Pipe) putEvents(ctx context.Context, entries []ebtypes.PutEventsRequestEntry) error {
	for start := 0; start < len(entries); start += 10 {
		batch := entries[start:min(start+10, len(entries))]
		out, err := p.clients.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
		if err != nil {
			return fmt.Errorf("put events: %w", err)
		}
		if out.FailedEntryCount > 0 {
			return fmt.Errorf("put events: %d of %d refused", out.FailedEntryCount, len(batch))
		}
	}
	return nil
}

func (p *Pipe) sendMessages(ctx context.Context, queueURL string, bodies []string) error {
	for start := 0; start < len(bodies); start += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, b := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)})
		}
		out, err := p.clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil {
			return fmt.Errorf("send to %s: %w", queueURL, err)
		}
		if len(out.Failed) > 0 {
			// The batch is sent again from its start; the mailer's
			// ledger makes the repeats harmless.
			return fmt.Errorf("%s refused part of a batch", queueURL)
		}
	}
	return nil
}

// deadLetter describes a batch that could not be delivered in the Pipe's
// dead-letter queue, as Pipes does for stream sources: where the batch is
// in the stream, not its records.
func (p *Pipe) deadLetter(ctx context.Context, shard string, records []streamtypes.Record, cause error) error {
	first, last := records[0].Dynamodb, records[len(records)-1].Dynamodb
	doc, _ := json.Marshal(map[string]any{
		"context": map[string]any{"pipeName": p.Def.LogicalID, "errorMessage": cause.Error()},
		"DDBStreamBatchInfo": map[string]any{"shardId": shard, "streamArn": p.stream, "batchSize": len(records),
			"startSequenceNumber": aws.ToString(first.SequenceNumber), "endSequenceNumber": aws.ToString(last.SequenceNumber)},
	})
	p.log.Warn("pipe gave up on a batch", "pipe", p.Def.LogicalID, "records", len(records), "error", cause)
	return p.sendMessages(ctx, p.dlqURL, []string{string(doc)})
}

// streamRecordJSON is a stream record as Pipes presents it to its filter
// and input template: the Lambda-style record, attribute values in
// DynamoDB JSON.
func streamRecordJSON(r streamtypes.Record, streamARN string) map[string]any {
	d := map[string]any{}
	if r.Dynamodb != nil {
		if t := r.Dynamodb.ApproximateCreationDateTime; t != nil {
			d["ApproximateCreationDateTime"] = t.Unix()
		}
		if r.Dynamodb.Keys != nil {
			d["Keys"] = imageJSON(r.Dynamodb.Keys)
		}
		if r.Dynamodb.NewImage != nil {
			d["NewImage"] = imageJSON(r.Dynamodb.NewImage)
		}
		if r.Dynamodb.OldImage != nil {
			d["OldImage"] = imageJSON(r.Dynamodb.OldImage)
		}
		d["SequenceNumber"] = aws.ToString(r.Dynamodb.SequenceNumber)
		d["SizeBytes"] = aws.ToInt64(r.Dynamodb.SizeBytes)
		d["StreamViewType"] = string(r.Dynamodb.StreamViewType)
	}
	return map[string]any{"eventID": aws.ToString(r.EventID), "eventName": string(r.EventName), "eventVersion": aws.ToString(r.EventVersion),
		"eventSource": "aws:dynamodb", "awsRegion": aws.ToString(r.AwsRegion), "dynamodb": d, "eventSourceARN": streamARN}
}

func imageJSON(img map[string]streamtypes.AttributeValue) map[string]any {
	out := make(map[string]any, len(img))
	for k, v := range img {
		out[k] = attributeJSON(v)
	}
	return out
}

func attributeJSON(v streamtypes.AttributeValue) map[string]any {
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *streamtypes.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *streamtypes.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *streamtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *streamtypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *streamtypes.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *streamtypes.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *streamtypes.AttributeValueMemberBS:
		bs := make([]string, len(v.Value))
		for i, b := range v.Value {
			bs[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": bs}
	case *streamtypes.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = attributeJSON(e)
		}
		return map[string]any{"L": l}
	case *streamtypes.AttributeValueMemberM:
		return map[string]any{"M": imageJSON(v.Value)}
	}
	return map[string]any{}
}
