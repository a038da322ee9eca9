package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/openreg/registration/internal/store"
)

// Pipe does locally what the stack's EventBridge Pipe does in AWS: it reads
// the table's stream (DynamoDB Local's), keeps the records the Pipe's filter
// keeps (inserted items that carry a store.AttrOutboxMessage), and sends each one's message
// to the mail queue, as the Pipe's input template does. Like the Pipe, it
// moves past a batch only once the queue took all of it, so a queue outage
// delays mail and loses none.
type Pipe struct {
	streams  *dynamodbstreams.Client
	sqs      *sqs.Client
	table    string
	queueURL string
	log      *slog.Logger

	// events and bus, when set, are where the events Pipe's part goes.
	events *eventbridge.Client
	bus    string

	mu sync.Mutex
	// after is the last sequence number sent, per shard.
	after map[string]string
	// done marks closed shards read to their end.
	done map[string]bool
}

// NewPipe returns a Pipe from table's stream to the queue.
func NewPipe(streams *dynamodbstreams.Client, q *sqs.Client, table, queueURL string, log *slog.Logger) *Pipe {
	return &Pipe{streams: streams, sqs: q, table: table, queueURL: queueURL, log: log,
		after: map[string]string{}, done: map[string]bool{}}
}

// ToBus makes the pipe also forward the items that carry events to an
// event bus, as the stack's second Pipe does.
func (p *Pipe) ToBus(eb *eventbridge.Client, bus string) *Pipe {
	p.events, p.bus = eb, bus
	return p
}

// Run pumps until ctx ends, every interval.
func (p *Pipe) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := p.Once(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("stream pipe", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once sends every outbox record the stream holds that it has not sent yet,
// and returns how many it sent.
func (p *Pipe) Once(ctx context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	arn, err := p.streamARN(ctx)
	if err != nil {
		return 0, err
	}
	var shards []streamtypes.Shard
	for start := (*string)(nil); ; {
		out, err := p.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return 0, fmt.Errorf("describe stream: %w", err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if start = out.StreamDescription.LastEvaluatedShardId; start == nil {
			break
		}
	}
	sent := 0
	for _, sh := range shards {
		id := aws.ToString(sh.ShardId)
		if p.done[id] {
			continue
		}
		n, err := p.drainShard(ctx, arn, sh)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (p *Pipe) streamARN(ctx context.Context) (string, error) {
	out, err := p.streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(p.table)})
	if err != nil {
		return "", fmt.Errorf("list streams: %w", err)
	}
	if len(out.Streams) == 0 {
		return "", fmt.Errorf("table %s has no stream", p.table)
	}
	return aws.ToString(out.Streams[len(out.Streams)-1].StreamArn), nil
}

func (p *Pipe) drainShard(ctx context.Context, arn string, sh streamtypes.Shard) (int, error) {
	id := aws.ToString(sh.ShardId)
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId,
		ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon}
	if seq := p.after[id]; seq != "" {
		in.ShardIteratorType = streamtypes.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(seq)
	}
	it, err := p.streams.GetShardIterator(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("shard iterator: %w", err)
	}
	sent := 0
	for iter := it.ShardIterator; iter != nil; {
		out, err := p.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			return sent, fmt.Errorf("get records: %w", err)
		}
		if len(out.Records) == 0 {
			if out.NextShardIterator == nil {
				p.done[id] = true
			}
			return sent, nil
		}
		n, err := p.send(ctx, out.Records)
		sent += n
		if err != nil {
			return sent, err
		}
		p.after[id] = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
		iter = out.NextShardIterator
		if iter == nil {
			p.done[id] = true
		}
	}
	return sent, nil
}

// send forwards the outbox records of a batch, ten per queue call.
func (p *Pipe) send(ctx context.Context, records []streamtypes.Record) (int, error) {
	var bodies []string
	var evs []ebtypes.PutEventsRequestEntry
	for _, r := range records {
		if r.EventName != streamtypes.OperationTypeInsert || r.Dynamodb == nil {
			continue
		}
		img := r.Dynamodb.NewImage
		if msg, ok := img[store.AttrOutboxMessage].(*streamtypes.AttributeValueMemberS); ok {
			bodies = append(bodies, msg.Value)
		}
		detail, ok := img[store.AttrOutboxEvent].(*streamtypes.AttributeValueMemberS)
		typ, typed := img[store.AttrEventType].(*streamtypes.AttributeValueMemberS)
		if ok && typed && p.events != nil {
			evs = append(evs, ebtypes.PutEventsRequestEntry{DetailType: aws.String(typ.Value), Detail: aws.String(detail.Value)})
		}
	}
	// Events first: a batch whose mail went out is sent again, mail and
	// events, when the bus refuses (both are delivered at least once).
	if err := putEvents(ctx, p.events, p.bus, evs); err != nil {
		return 0, err
	}
	for start := 0; start < len(bodies); start += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i, b := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)})
		}
		out, err := p.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: entries})
		if err != nil {
			return start, fmt.Errorf("send to the mail queue: %w", err)
		}
		if len(out.Failed) > 0 {
			// The batch is sent again from its start; the mailer's
			// ledger makes the repeats harmless.
			return start, errors.New("the mail queue refused part of a batch")
		}
	}
	return len(bodies), nil
}
