package store

import (
	"context"
	"errors"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/store/keys"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The mail ledger: one item per message id, "sending" while a mailer holds
// it, "sent" once SES took it. It lives as long as SQS could still redeliver
// the message (its retention is at most 14 days).
const (
	ledgerRetention = 15 * 24 * time.Hour
	stateSending    = "sending"
	stateSent       = "sent"
)

func ledgerPK(id string) string    { return keys.Mailed + id }
func suppressPK(key string) string { return keys.Suppress + key }

// The partitions of the resend, notice and reset throttles: one per
// purpose and address (its digest).
func resendPK(key string) string { return keys.Resend + customer.AddressDigest(key) }
func noticePK(key string) string { return keys.Notice + customer.AddressDigest(key) }
func resetPK(key string) string  { return keys.Reset + customer.AddressDigest(key) }

func signInCodePK(key string) string { return keys.SignInCode + customer.AddressDigest(key) }

// Claim reserves a message for one sender; see mail.Ledger.
func (s *Store) Claim(ctx context.Context, id string, now time.Time, lease time.Duration) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			AttrPK: str(ledgerPK(id)), AttrSK: str(keys.SKLedger), "type": str("ledger"),
			"state": str(stateSending), "leaseUntil": num(now.Add(lease).UnixMilli()),
			AttrTTL: num(now.Add(ledgerRetention).Unix()),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR (#state = :sending AND leaseUntil < :now)"),
		ExpressionAttributeNames:            map[string]string{"#state": "state"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":sending": str(stateSending), ":now": num(now.UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		if st, ok := cf.Item["state"].(*types.AttributeValueMemberS); ok && st.Value == stateSent {
			return outbox.ErrAlreadySent
		}
		return outbox.ErrInFlight
	}
	if err != nil {
		return unavailable("PutItem", err)
	}
	return nil
}

// MarkSent records that a message went out.
func (s *Store) MarkSent(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf(ledgerPK(id), keys.SKLedger),
		UpdateExpression:          aws.String("SET #state = :sent, sentAt = :at"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sent": str(stateSent), ":at": str(formatTime(now))},
	})
	if err != nil {
		return unavailable("UpdateItem", err)
	}
	return nil
}

// Sent reports whether message id went out (or its job finished).
func (s *Store) Sent(ctx context.Context, id string) (bool, error) {
	var it struct {
		State string `dynamodbav:"state"`
	}
	found, err := s.get(ctx, ledgerPK(id), keys.SKLedger, &it)
	return found && it.State == stateSent, err
}

// Release gives up a claim that did not lead to a sent mail.
func (s *Store) Release(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       keyOf(ledgerPK(id), keys.SKLedger),
		ConditionExpression:       aws.String("#state = :sending"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": str(stateSending)},
	})
	if err != nil && !isConditionFailed(err) {
		return unavailable("DeleteItem", err)
	}
	return nil
}

// Suppressed reports whether an address must not be mailed.
func (s *Store) Suppressed(ctx context.Context, addressKey string) (bool, error) {
	var it struct {
		PK string `dynamodbav:"PK"`
	}
	return s.get(ctx, suppressPK(addressKey), keys.SKSuppress, &it)
}

// Suppress records that an address hard-bounced or complained. The entry
// stays until an operator removes it.
func (s *Store) Suppress(ctx context.Context, addressKey, reason string, at time.Time) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			AttrPK: str(suppressPK(addressKey)), AttrSK: str(keys.SKSuppress), "type": str("suppression"),
			"reason": str(reason), "at": str(formatTime(at)),
		},
	})
	if err != nil {
		return unavailable("PutItem", err)
	}
	return nil
}

// ClaimResend lets a resend job mail a link unless another job (or the
// registration itself) did within interval. The job's own retry passes, so a
// failed send can be retried.
func (s *Store) ClaimResend(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error) {
	return s.claimInterval(ctx, resendPK(emailKey), jobID, now, interval)
}

// ClaimNotice lets a registration-attempt job tell an owner unless another
// job did within interval, so nobody can flood an address with notices.
func (s *Store) ClaimNotice(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error) {
	return s.claimInterval(ctx, noticePK(emailKey), jobID, now, interval)
}

// claimInterval claims the throttle pk (a resendPK, noticePK or resetPK) for
// jobID unless another job claimed it within interval.
func (s *Store) claimInterval(ctx context.Context, pk, jobID string, now time.Time, interval time.Duration) (bool, error) {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      intervalItem(pk, keys.SKResend, jobID, now, interval),
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR #at <= :cutoff OR jobId = :job"),
		ExpressionAttributeNames:  map[string]string{"#at": "at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":cutoff": num(now.Add(-interval).UnixMilli()), ":job": str(jobID)},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, unavailable("PutItem", err)
	}
	return true, nil
}

func intervalItem(pk, sk, jobID string, now time.Time, interval time.Duration) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: str(pk), AttrSK: str(sk), "type": str("interval"),
		"jobId": str(jobID), "at": num(now.UnixMilli()), AttrTTL: num(now.Add(interval).Add(time.Hour).Unix()),
	}
}
