package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/openreg/registration/internal/event"
)

// EventResources are the local event bus and the queue a rule on it
// forwards every customer event to, where the tests and the local events
// page read them (the rest of the shop's stand-in).
type EventResources struct {
	Bus      string
	QueueURL string
}

// SetupEvents creates, if missing, the event bus, a queue, and a rule that
// sends the bus's customer events to the queue.
func SetupEvents(ctx context.Context, eb *eventbridge.Client, q *sqs.Client, bus string) (EventResources, error) {
	r := EventResources{Bus: bus}
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ResourceAlreadyExistsException" {
			return r, fmt.Errorf("create event bus %s: %w", bus, err)
		}
	}
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(bus + "-events")})
	if err != nil {
		return r, fmt.Errorf("create events queue: %w", err)
	}
	r.QueueURL = aws.ToString(out.QueueUrl)
	arn, err := queueARN(ctx, q, r.QueueURL)
	if err != nil {
		return r, err
	}
	pattern, _ := json.Marshal(map[string]any{"source": []string{event.Source}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("customer-events"), EventBusName: aws.String(bus),
		EventPattern: aws.String(string(pattern))}); err != nil {
		return r, fmt.Errorf("put rule: %w", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("customer-events"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(arn)}}}); err != nil {
		return r, fmt.Errorf("put targets: %w", err)
	}
	return r, nil
}

// Published is one event as the bus delivered it to a target.
type Published struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

// ReceiveEvents takes every event waiting in the events queue (deleting
// what it took), oldest first as the queue gives them.
func ReceiveEvents(ctx context.Context, q *sqs.Client, queueURL string) ([]Published, error) {
	var out []Published
	for {
		res, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			return out, fmt.Errorf("receive events: %w", err)
		}
		if len(res.Messages) == 0 {
			return out, nil
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range res.Messages {
			var p Published
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &p); err != nil {
				return out, fmt.Errorf("event body: %w", err)
			}
			out = append(out, p)
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := q.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: del}); err != nil {
			return out, fmt.Errorf("delete events: %w", err)
		}
	}
}
