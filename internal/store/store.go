package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/store/keys"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store is the DynamoDB-backed store of every use case.
type Store struct {
	db     API
	table  string
	random io.Reader
	// sleep waits between retries of conflicting transactions.
	sleep func(time.Duration)
	// now stamps updatedAt on writes that have no domain time of their own.
	now func() time.Time
}

// New returns a Store on table. random feeds the suffixes of log keys
// (crypto/rand.Reader when nil); now is the clock (time.Now when nil).
func New(db API, table string, random io.Reader, now func() time.Time) *Store {
	if random == nil {
		random = rand.Reader
	}
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, table: table, random: random, sleep: time.Sleep, now: now}
}

// Key layout. Every item has PK and SK.
const (
	// AttrPK and AttrSK are the table's key schema (both strings); the
	// stack declares its table from them.
	AttrPK = "PK"
	AttrSK = "SK"
	// AttrTTL is the table's time-to-live attribute (epoch seconds).
	AttrTTL = "ttl"
)

// The partition keys, from the prefixes package keys declares (the sort
// keys are keys' SK constants).
func customerPK(id string) string  { return keys.Customer + id }
func emailPK(key string) string    { return keys.Email + key }
func usernamePK(key string) string { return keys.Username + key }
func pendingPK(id string) string   { return keys.Registration + id }
func outboxPK(id string) string    { return keys.Outbox + id }

// addressOutboxPK is the partition of the jobs that name an address with
// this digest (customer.AddressDigest).
func addressOutboxPK(digest string) string { return keys.OutboxAddress + digest }

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// sortableTime formats t with a fixed width so keys sort by time.
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func fromMillis(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// suffix returns a short random hex string that keeps log keys of the same
// instant apart.
func (s *Store) suffix() string {
	b := make([]byte, 6)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return hex.EncodeToString(b)
}

// unavailable wraps a DynamoDB failure as the domain's 503.
func unavailable(op string, err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	// DynamoDB refusing a request's shape is a bug here, not an outage:
	// retrying would fail the same way.
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return apperr.Wrap(apperr.Internal, "Internal error.", fmt.Errorf("dynamodb %s: %w", op, err))
	}
	return apperr.Wrap(apperr.Unavailable, "The service is temporarily unavailable; nothing was changed. Try again.", fmt.Errorf("dynamodb %s: %w", op, err))
}

func isConditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// cancelReasons returns the per-item reason codes of a cancelled transaction,
// or nil when err is not a cancellation.
func cancelReasons(err error) []string {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	codes := make([]string, len(tc.CancellationReasons))
	for i, r := range tc.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

func hasReason(codes []string, want string) bool {
	for _, c := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// transact runs a transaction, retrying while another transaction holds one
// of its items (TransactionConflict): that is contention, not an answer.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	if len(items) > 100 {
		return apperr.Wrap(apperr.Internal, "Internal error.", fmt.Errorf("transaction of %d items exceeds DynamoDB's 100", len(items)))
	}
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		codes := cancelReasons(err)
		if err == nil || !hasReason(codes, "TransactionConflict") || hasReason(codes, "ConditionalCheckFailed") {
			return err
		}
		s.sleep(time.Duration(10*(attempt+1)) * time.Millisecond)
	}
	return err
}

// single writes a one-item "transaction" as the plain call it amounts to:
// same conditions, half the write units (DynamoDB charges a transaction
// twice). A refusal comes back as the cancellation a transaction would have
// given, so callers read both alike.
func (s *Store) single(ctx context.Context, it types.TransactWriteItem) error {
	var err error
	all := types.ReturnValuesOnConditionCheckFailureAllOld
	switch {
	case it.Put != nil:
		p := it.Put
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item,
			ConditionExpression: p.ConditionExpression, ExpressionAttributeNames: p.ExpressionAttributeNames,
			ExpressionAttributeValues: p.ExpressionAttributeValues, ReturnValuesOnConditionCheckFailure: all})
	case it.Update != nil:
		u := it.Update
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key,
			UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
			ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: all})
	case it.Delete != nil:
		d := it.Delete
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: d.TableName, Key: d.Key,
			ConditionExpression: d.ConditionExpression, ExpressionAttributeNames: d.ExpressionAttributeNames,
			ExpressionAttributeValues: d.ExpressionAttributeValues, ReturnValuesOnConditionCheckFailure: all})
	default:
		return s.transact(ctx, []types.TransactWriteItem{it})
	}
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		// The SDK retries a call whose answer was lost. A transaction is
		// idempotent across retries (its client token); a conditional put
		// would fail on its own earlier success. The item it finds is then
		// exactly the one it writes (every put names fresh ids): that is
		// success, not a refusal.
		if it.Put != nil && cf.Item != nil && reflect.DeepEqual(cf.Item, it.Put.Item) {
			return nil
		}
		return &types.TransactionCanceledException{Message: aws.String(cf.ErrorMessage()),
			CancellationReasons: []types.CancellationReason{{Code: aws.String("ConditionalCheckFailed"), Item: cf.Item}}}
	}
	return err
}

func (s *Store) put(item any, condition string) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	p := &types.Put{TableName: aws.String(s.table), Item: av}
	if condition != "" {
		p.ConditionExpression = aws.String(condition)
	}
	return types.TransactWriteItem{Put: p}, nil
}

func (s *Store) get(ctx context.Context, pk, sk string, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: keyOf(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, unavailable("GetItem", err)
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, apperr.Wrap(apperr.Internal, "Internal error.", fmt.Errorf("decode %s: %w", pk, err))
	}
	return true, nil
}

// getItem reads the item pk, sk as a T, or returns missing when there is
// none.
func getItem[T any](ctx context.Context, s *Store, pk, sk string, missing error) (T, error) {
	var it T
	found, err := s.get(ctx, pk, sk, &it)
	if err == nil && !found {
		err = missing
	}
	return it, err
}

const notExists = "attribute_not_exists(PK)"

func unmarshal(av map[string]types.AttributeValue, out any) error {
	if err := attributevalue.UnmarshalMap(av, out); err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", fmt.Errorf("decode item: %w", err))
	}
	return nil
}
