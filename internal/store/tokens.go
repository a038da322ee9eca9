package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/verification"
)

// VerificationToken returns a verification token by digest.
func (s *Store) VerificationToken(ctx context.Context, digest string) (verification.Token, error) {
	var it tokenItem
	found, err := s.get(ctx, verifyPK(digest), skToken, &it)
	if err != nil {
		return verification.Token{}, err
	}
	if !found {
		return verification.Token{}, verification.ErrNotFound
	}
	return verification.Token{
		Digest: digest, CustomerID: it.CustomerID,
		ExpiresAt: time.Unix(it.ExpiresAt, 0).UTC(), UsedAt: parseTime(it.UsedAt),
	}, nil
}

// Confirm uses a verification token and moves its customer out of
// Unverified in one transaction. Both conditions are checked by DynamoDB, so
// a token can be used once however many clicks race.
func (s *Store) Confirm(ctx context.Context, c verification.Confirmation) error {
	at := formatTime(c.At)
	act, err := s.put(s.newActivityItem(customer.Activity{CustomerID: c.CustomerID, Type: customer.ActivityEmailVerified, At: c.At}), "")
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:           aws.String(s.table),
			Key:                 keyOf(verifyPK(c.Digest), skToken),
			UpdateExpression:    aws.String("SET usedAt = :at"),
			ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(usedAt) AND expiresAt > :now AND customerId = :cid"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":at": str(at), ":now": num(c.At.Unix()), ":cid": str(c.CustomerID),
			},
		}},
		{Update: &types.Update{
			TableName:                aws.String(s.table),
			Key:                      keyOf(customerPK(c.CustomerID), skProfile),
			UpdateExpression:         aws.String("SET #status = :next, emailVerifiedAt = :at, updatedAt = :at"),
			ConditionExpression:      aws.String("#status = :unverified"),
			ExpressionAttributeNames: map[string]string{"#status": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":next": str(string(c.Next)), ":at": str(at), ":unverified": str(string(customer.Unverified)),
			},
		}},
		act,
	}
	for _, m := range c.Outbox {
		oi, err := newOutboxItem(m)
		if err != nil {
			return apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		put, err := s.put(oi, notExists)
		if err != nil {
			return err
		}
		items = append(items, put)
	}
	err = s.transact(ctx, items)
	if err == nil {
		return nil
	}
	if hasReason(cancelReasons(err), "ConditionalCheckFailed") {
		return verification.ErrConflict
	}
	return unavailable("TransactWriteItems", err)
}

func newSessionItem(ss session.Session) sessionItem {
	return sessionItem{
		PK: sessionPK(ss.Digest), SK: skSession, Type: "session", CustomerID: ss.CustomerID,
		RememberMe: ss.RememberMe, CreatedAt: formatTime(ss.CreatedAt),
		ExpiresAt: ss.ExpiresAt.Unix(), TTL: ss.ExpiresAt.Unix(),
	}
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, ss session.Session) error {
	ti, err := s.put(newSessionItem(ss), notExists)
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: ti.Put.Item, ConditionExpression: ti.Put.ConditionExpression,
	}); err != nil {
		return unavailable("PutItem", err)
	}
	return nil
}

// Session returns a session by digest, or session.ErrNotFound.
func (s *Store) Session(ctx context.Context, digest string) (session.Session, error) {
	var it sessionItem
	found, err := s.get(ctx, sessionPK(digest), skSession, &it)
	if err != nil {
		return session.Session{}, err
	}
	if !found {
		return session.Session{}, session.ErrNotFound
	}
	return session.Session{
		Digest: digest, CustomerID: it.CustomerID, RememberMe: it.RememberMe,
		CreatedAt: parseTime(it.CreatedAt), ExpiresAt: time.Unix(it.ExpiresAt, 0).UTC(),
	}, nil
}

// DeleteSession revokes a session.
func (s *Store) DeleteSession(ctx context.Context, digest string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(sessionPK(digest), skSession),
	}); err != nil {
		return unavailable("DeleteItem", err)
	}
	return nil
}

// Failures returns the failed sign-in state of a login key.
func (s *Store) Failures(ctx context.Context, loginKey string) (signin.Failures, error) {
	var it throttleItem
	found, err := s.get(ctx, throttlePK(loginKey), skThrottle, &it)
	if err != nil || !found {
		return signin.Failures{}, err
	}
	return it.failures(), nil
}

func (it throttleItem) failures() signin.Failures {
	f := signin.Failures{Count: it.Count, WindowStart: time.UnixMilli(it.WindowStart).UTC()}
	if it.LockedUntil > 0 {
		f.LockedUntil = time.UnixMilli(it.LockedUntil).UTC()
	}
	return f
}

// RecordFailure counts a failed sign-in. The count lives in a window: a
// failure inside the current window increments it atomically; one after it
// starts a new window. Reaching max stores the lock and starts counting
// afresh, as the seed system does.
func (s *Store) RecordFailure(ctx context.Context, loginKey string, now time.Time, window time.Duration, max int, lockUntil time.Time) (signin.Failures, error) {
	key := keyOf(throttlePK(loginKey), skThrottle)
	ttl := now.Add(window).Add(lockUntil.Sub(now)).Unix()
	for attempt := 0; attempt < 3; attempt++ {
		// Inside the current window: count up.
		res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(s.table),
			Key:                      key,
			UpdateExpression:         aws.String("ADD failures :one SET #ttl = :ttl"),
			ConditionExpression:      aws.String("attribute_exists(PK) AND windowStart > :cutoff"),
			ExpressionAttributeNames: map[string]string{"#ttl": AttrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": num(1), ":ttl": num(ttl), ":cutoff": num(now.Add(-window).UnixMilli()),
			},
			ReturnValues: types.ReturnValueAllNew,
		})
		var st signin.Failures
		switch {
		case err == nil:
			var it throttleItem
			if err := unmarshal(res.Attributes, &it); err != nil {
				return signin.Failures{}, err
			}
			st = it.failures()
		case isConditionFailed(err):
			// No window, or an old one: start a new window unless another
			// request just did.
			_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
				TableName: aws.String(s.table),
				Item: map[string]types.AttributeValue{
					attrPK: str(throttlePK(loginKey)), attrSK: str(skThrottle), "type": str("throttle"),
					"failures": num(1), "windowStart": num(now.UnixMilli()), "lockedUntil": num(0), AttrTTL: num(ttl),
				},
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR windowStart <= :cutoff"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":cutoff": num(now.Add(-window).UnixMilli())},
			})
			if isConditionFailed(err) {
				continue
			}
			if err != nil {
				return signin.Failures{}, unavailable("PutItem", err)
			}
			st = signin.Failures{Count: 1, WindowStart: now}
		default:
			return signin.Failures{}, unavailable("UpdateItem", err)
		}
		if st.Count >= max {
			if err := s.lock(ctx, loginKey, now, lockUntil, ttl); err != nil {
				return signin.Failures{}, err
			}
			st.LockedUntil = lockUntil
		}
		return st, nil
	}
	return signin.Failures{}, apperr.New(apperr.Unavailable, "Too much contention on this login; try again.")
}

func (s *Store) lock(ctx context.Context, loginKey string, now, until time.Time, ttl int64) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrPK: str(throttlePK(loginKey)), attrSK: str(skThrottle), "type": str("throttle"),
			"failures": num(0), "windowStart": num(now.UnixMilli()), "lockedUntil": num(until.UnixMilli()), AttrTTL: num(ttl),
		},
	})
	if err != nil {
		return unavailable("PutItem", err)
	}
	return nil
}

// ClearFailures forgets the failures of a login after a good sign-in.
func (s *Store) ClearFailures(ctx context.Context, loginKey string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(throttlePK(loginKey), skThrottle),
	}); err != nil {
		return unavailable("DeleteItem", err)
	}
	return nil
}
