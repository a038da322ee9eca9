package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/mail"
)

// MailSent removes a mail from the outbox once the queue has it.
func (s *Store) MailSent(ctx context.Context, id string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(outboxPK(id), skMail),
	}); err != nil {
		return unavailable("DeleteItem", err)
	}
	return nil
}

// PendingMail returns up to limit outbox mails created before the given
// time, oldest first. The relay passes a time a little in the past so it does
// not race the request that is flushing its own mail right now.
func (s *Store) PendingMail(ctx context.Context, before time.Time, limit int) ([]mail.Message, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(GSI1),
		KeyConditionExpression: aws.String("GSI1PK = :p AND GSI1SK < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": str(outboxPartition), ":before": str(sortableTime(before)),
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, unavailable("Query", err)
	}
	msgs := make([]mail.Message, 0, len(res.Items))
	for _, item := range res.Items {
		var it outboxItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		m, err := mail.Decode(it.Message)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}
