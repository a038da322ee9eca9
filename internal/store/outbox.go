package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/mail"
)

// MailSent removes mails from the outbox once the queue has them, in one
// batch write (up to 25 per call).
func (s *Store) MailSent(ctx context.Context, ids ...string) error {
	for start := 0; start < len(ids); start += 25 {
		var reqs []types.WriteRequest
		for _, id := range ids[start:min(start+25, len(ids))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(outboxPK(id), skMail)}})
		}
		pending := map[string][]types.WriteRequest{s.table: reqs}
		for attempt := 0; len(pending[s.table]) > 0; attempt++ {
			if attempt == 3 {
				return apperr.New(apperr.Unavailable, "outbox entries left undeleted after retries")
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return unavailable("BatchWriteItem", err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// PendingMail returns up to limit outbox mails created before the given
// time and after the cursor (an earlier call's next cursor; "" starts at the
// oldest), oldest first, with the cursor to continue from ("" when there is
// nothing more) and how many entries it skipped because it could not read
// them. The relay passes a time a little in the past so it does not race the
// request that is flushing its own mail right now. Continuing from a cursor,
// rather than from the oldest entry, matters because the index lags behind
// deletes: mails just sent would otherwise come back on the next page.
//
// An unreadable entry (a message kind a rolled-back version does not know)
// must not hold up the mails behind it, so it is skipped and counted; it
// stays until an operator looks or its TTL ends.
func (s *Store) PendingMail(ctx context.Context, before time.Time, cursor string, limit int) ([]mail.Message, string, int, error) {
	// The smallest key after the cursor: BETWEEN is inclusive.
	from := cursor + "\x00"
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :p AND GSI1SK BETWEEN :from AND :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": str(outboxPartition), ":from": str(from), ":before": str(sortableTime(before)),
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, "", 0, unavailable("Query", err)
	}
	var msgs []mail.Message
	skipped, next := 0, ""
	for _, item := range res.Items {
		var it outboxItem
		if err := unmarshal(item, &it); err != nil {
			skipped++
			continue
		}
		next = it.GSI1SK
		m, err := mail.Decode(it.Message)
		if err != nil {
			skipped++
			continue
		}
		msgs = append(msgs, m)
	}
	if res.LastEvaluatedKey == nil {
		next = ""
	}
	return msgs, next, skipped, nil
}
