package store

import (
	"context"
	"errors"
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

func (it throttleItem) failures() signin.Failures {
	f := signin.Failures{Count: it.Count, WindowStart: time.UnixMilli(it.WindowStart).UTC()}
	if it.LockedUntil > 0 {
		f.LockedUntil = time.UnixMilli(it.LockedUntil).UTC()
	}
	return f
}

// CountAttempt counts a sign-in attempt; see signin.Store. Inside a live,
// unlocked window the count goes up with one atomic update, so concurrent
// attempts each get their own number. Otherwise (no item, an old window, an
// expired lock) a conditional put starts a new window; a live lock refuses.
func (s *Store) CountAttempt(ctx context.Context, loginKey string, now time.Time, window time.Duration, max int, lockUntil time.Time) (signin.Failures, bool, error) {
	key := keyOf(throttlePK(loginKey), skThrottle)
	cutoff := num(now.Add(-window).UnixMilli())
	ttl := num(now.Add(window).Add(lockUntil.Sub(now)).Unix())
	for attempt := 0; attempt < 4; attempt++ {
		res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(s.table),
			Key:                                 key,
			UpdateExpression:                    aws.String("ADD failures :one SET #ttl = :ttl"),
			ConditionExpression:                 aws.String("attribute_exists(PK) AND windowStart > :cutoff AND lockedUntil = :zero"),
			ExpressionAttributeNames:            map[string]string{"#ttl": AttrTTL},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":one": num(1), ":ttl": ttl, ":cutoff": cutoff, ":zero": num(0)},
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		var cf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			var it throttleItem
			if err := unmarshal(res.Attributes, &it); err != nil {
				return signin.Failures{}, false, err
			}
			st := it.failures()
			if st.Count == max {
				if err := s.setLock(ctx, loginKey, lockUntil); err != nil {
					return signin.Failures{}, false, err
				}
				st.LockedUntil = lockUntil
			}
			return st, true, nil
		case errors.As(err, &cf):
			if cf.Item != nil {
				var old throttleItem
				if err := unmarshal(cf.Item, &old); err != nil {
					return signin.Failures{}, false, err
				}
				if old.LockedUntil > now.UnixMilli() {
					return old.failures(), false, nil
				}
			}
			// No window, an old one, or an expired lock: start afresh
			// unless another attempt just did.
			item := map[string]types.AttributeValue{
				attrPK: str(throttlePK(loginKey)), attrSK: str(skThrottle), "type": str("throttle"),
				"failures": num(1), "windowStart": num(now.UnixMilli()), "lockedUntil": num(0), AttrTTL: ttl,
			}
			_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
				TableName:                 aws.String(s.table),
				Item:                      item,
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR windowStart <= :cutoff OR (lockedUntil > :zero AND lockedUntil <= :now)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":cutoff": cutoff, ":zero": num(0), ":now": num(now.UnixMilli())},
			})
			if isConditionFailed(err) {
				continue
			}
			if err != nil {
				return signin.Failures{}, false, unavailable("PutItem", err)
			}
			st := signin.Failures{Count: 1, WindowStart: now}
			if max == 1 {
				if err := s.setLock(ctx, loginKey, lockUntil); err != nil {
					return signin.Failures{}, false, err
				}
				st.LockedUntil = lockUntil
			}
			return st, true, nil
		default:
			return signin.Failures{}, false, unavailable("UpdateItem", err)
		}
	}
	return signin.Failures{}, false, apperr.New(apperr.Unavailable, "Too much contention on this login; try again.")
}

// setLock stores a lock; the count stays, so attempts racing the lock are
// still over the limit.
func (s *Store) setLock(ctx context.Context, loginKey string, until time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              keyOf(throttlePK(loginKey), skThrottle),
		UpdateExpression: aws.String("SET lockedUntil = :until"),
		// A right password may have cleared the count meanwhile; then
		// there is nothing to lock.
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":until": num(until.UnixMilli())},
	})
	if err != nil && !isConditionFailed(err) {
		return unavailable("UpdateItem", err)
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
