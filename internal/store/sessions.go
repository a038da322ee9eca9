package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/store/keys"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/session"
)

// Sessions live in their customer's partition (CUSTOMER#<id>,
// SESSION#<digest>): one BatchGetItem reads a session with its customer, one
// transaction ends it with its activity entry, and every session of a
// customer is one Query away.

func sessionSK(digest string) string { return keys.SKSession + digest }

func sessionKey(r session.Ref) map[string]types.AttributeValue {
	return keyOf(customerPK(r.CustomerID), sessionSK(r.Digest))
}

type sessionItem struct {
	head
	CustomerID string `dynamodbav:"customerId"`
	RememberMe bool   `dynamodbav:"rememberMe"`
	CreatedAt  string `dynamodbav:"createdAt"`
	// ImpersonatedBy names the administrator of an impersonation.
	ImpersonatedBy string `dynamodbav:"impersonatedBy,omitempty"`
	ExpiresAt      int64  `dynamodbav:"expiresAt"`
	TTL            int64  `dynamodbav:"ttl"`
	// The device that signed in, and when the session was last seen
	// (written at most once an hour: session.TouchInterval).
	UserAgent  string `dynamodbav:"userAgent,omitempty"`
	Address    string `dynamodbav:"address,omitempty"`
	LastUsedAt string `dynamodbav:"lastUsedAt,omitempty"`
}

func newSessionItem(ss session.Session) sessionItem {
	return sessionItem{
		head: head{customerPK(ss.CustomerID), sessionSK(ss.Digest), "session"}, CustomerID: ss.CustomerID,
		RememberMe: ss.RememberMe, CreatedAt: formatTime(ss.CreatedAt), ImpersonatedBy: ss.ImpersonatedBy,
		ExpiresAt: ss.ExpiresAt.Unix(), TTL: ss.ExpiresAt.Unix(),
		UserAgent: ss.Client.UserAgent, Address: ss.Client.Address, LastUsedAt: formatTime(ss.LastUsedAt),
	}
}

func (i sessionItem) session(digest string) session.Session {
	ss := session.Session{Digest: digest, CustomerID: i.CustomerID, RememberMe: i.RememberMe,
		CreatedAt: parseTime(i.CreatedAt), ExpiresAt: time.Unix(i.ExpiresAt, 0).UTC(), ImpersonatedBy: i.ImpersonatedBy,
		Client: session.Client{UserAgent: i.UserAgent, Address: i.Address}, LastUsedAt: parseTime(i.LastUsedAt)}
	return ss
}

// customerOrSession reads an item of a customer's partition as the
// customer or one of its sessions (with the session's digest); neither for
// any other item.
func customerOrSession(item map[string]types.AttributeValue) (*customerItem, *sessionItem, string, error) {
	sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
	switch {
	case sk == nil:
	case sk.Value == keys.SKProfile:
		var c customerItem
		return &c, nil, "", unmarshal(item, &c)
	case strings.HasPrefix(sk.Value, keys.SKSession):
		var ss sessionItem
		return nil, &ss, strings.TrimPrefix(sk.Value, keys.SKSession), unmarshal(item, &ss)
	}
	return nil, nil, "", nil
}

// TouchSession records that a session was used at at; see session.Store.
func (s *Store) TouchSession(ctx context.Context, r session.Ref, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: sessionKey(r),
		UpdateExpression:          aws.String("SET lastUsedAt = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(at))}})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return nil // signed out meanwhile: nothing to touch
	}
	if err != nil {
		return unavailable("UpdateItem", err)
	}
	return nil
}

// SessionsOf returns a customer and every session of theirs from one
// Query: the customer item (PROFILE) and the sessions (SESSION#…) are
// neighbours in the partition, with nothing between them.
func (s *Store) SessionsOf(ctx context.Context, customerID string) (customer.Customer, []session.Session, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :profile AND :sessions"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(customerPK(customerID)),
			":profile": str(keys.SKProfile), ":sessions": str(keys.SKSession + "\uffff")}}
	var cust *customerItem
	var all []session.Session
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return customer.Customer{}, nil, unavailable("Query", err)
		}
		for _, item := range out.Items {
			c, sess, digest, err := customerOrSession(item)
			switch {
			case err != nil:
				return customer.Customer{}, nil, err
			case c != nil:
				cust = c
			case sess != nil:
				all = append(all, sess.session(digest))
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if cust == nil {
		return customer.Customer{}, nil, customer.ErrNotFound
	}
	return cust.customer(), all, nil
}

// SessionOf returns a session and its customer from one BatchGetItem; see
// session.Store.
func (s *Store) SessionOf(ctx context.Context, r session.Ref) (session.Session, customer.Customer, error) {
	batch := &types.KeysAndAttributes{ConsistentRead: aws.Bool(true),
		Keys: []map[string]types.AttributeValue{sessionKey(r), keyOf(customerPK(r.CustomerID), keys.SKProfile)}}
	var sess *sessionItem
	var cust *customerItem
	// A batch may leave keys unprocessed under load; they are asked again.
	for attempt := 0; batch != nil && len(batch.Keys) > 0; attempt++ {
		if attempt == 3 {
			return session.Session{}, customer.Customer{}, unavailable("BatchGetItem", fmt.Errorf("keys left unprocessed"))
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{s.table: *batch}})
		if err != nil {
			return session.Session{}, customer.Customer{}, unavailable("BatchGetItem", err)
		}
		for _, item := range out.Responses[s.table] {
			c, ss, _, err := customerOrSession(item)
			if err != nil {
				return session.Session{}, customer.Customer{}, err
			}
			if c != nil {
				cust = c
			}
			if ss != nil {
				sess = ss
			}
		}
		next, ok := out.UnprocessedKeys[s.table]
		batch = nil
		if ok {
			batch = &next
		}
	}
	if sess == nil || cust == nil {
		return session.Session{}, customer.Customer{}, session.ErrNotFound
	}
	return sess.session(r.Digest), cust.customer(), nil
}

// EndSession deletes a session and logs a, in one transaction; see
// session.Store.
func (s *Store) EndSession(ctx context.Context, r session.Ref, a customer.Activity, events []event.Event) error {
	// A customer's own session ends in one write. An impersonation's
	// refuses that write, which hands back the session (its
	// administrator), and ends in a second that names them.
	cond, values := "attribute_exists(PK) AND attribute_not_exists(impersonatedBy)", map[string]types.AttributeValue(nil)
	for attempt := 0; attempt < 2; attempt++ {
		t := s.newTx()
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: sessionKey(r),
			ConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}})
		t.activity(a)
		t.events(events)
		codes, err := t.run(ctx)
		switch {
		case err == nil:
			return nil
		case failedAt(codes, 0):
			by, _ := cancelItem(err, 0)["impersonatedBy"].(*types.AttributeValueMemberS)
			if by == nil || attempt > 0 { // no such session: nothing to end, nothing to log
				return nil
			}
			a.Detail = withDetail(a.Detail, "impersonatedBy", by.Value)
			cond, values = "impersonatedBy = :by", map[string]types.AttributeValue{":by": by}
			continue
		case codes == nil: // already translated by run
			return err
		}
		return unavailable("TransactWriteItems", err)
	}
	return nil
}

// withDetail is a copy of detail with k set to v.
func withDetail(detail map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(detail)+1)
	maps.Copy(out, detail)
	out[k] = v
	return out
}
