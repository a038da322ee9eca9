package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/registration"
)

// CreateAccount writes a registration in one transaction. The email and
// username keys are conditional puts, so of any number of concurrent
// registrations of one address exactly one succeeds.
func (s *Store) CreateAccount(ctx context.Context, acc registration.Account) error {
	c := acc.Customer
	var items []types.TransactWriteItem
	add := func(item any, cond string) error {
		ti, err := s.put(item, cond)
		if err == nil {
			items = append(items, ti)
		}
		return err
	}
	if err := add(newCustomerItem(c, acc.EmailKey, acc.UsernameKey), notExists); err != nil {
		return err
	}
	emailIdx := len(items)
	if err := add(keyItem{PK: emailPK(acc.EmailKey), SK: skKey, Type: "email", CustomerID: c.ID}, notExists); err != nil {
		return err
	}
	usernameIdx := -1
	if acc.UsernameKey != "" {
		usernameIdx = len(items)
		if err := add(keyItem{PK: usernamePK(acc.UsernameKey), SK: skKey, Type: "username", CustomerID: c.ID}, notExists); err != nil {
			return err
		}
	}
	if v := acc.Verification; v != nil {
		// The registration's own link starts the resend interval.
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table),
			Item: intervalItem(resendPK(acc.EmailKey), skResend, "registration:"+c.ID, v.CreatedAt, acc.ResendInterval)}})
		if err := add(tokenItem{PK: verifyPK(v.Digest), SK: skToken, Type: "verification", CustomerID: v.CustomerID,
			ExpiresAt: v.ExpiresAt.Unix(), CreatedAt: formatTime(v.CreatedAt),
			TTL: v.ExpiresAt.Add(usedTokenRetention).Unix()}, notExists); err != nil {
			return err
		}
	}
	if ss := acc.Session; ss != nil {
		if err := add(newSessionItem(*ss), notExists); err != nil {
			return err
		}
	}
	for _, cr := range acc.Consents {
		if err := add(consentItem{PK: customerPK(cr.CustomerID), SK: "CONSENT#" + sortableTime(cr.At) + "#" + cr.ConsentID,
			Type: "consent", CustomerID: cr.CustomerID, ConsentID: cr.ConsentID, Agreed: cr.Agreed,
			Message: cr.Message, At: formatTime(cr.At)}, ""); err != nil {
			return err
		}
	}
	for _, m := range acc.Outbox {
		oi, err := newOutboxItem(m)
		if err != nil {
			return apperr.Wrap(apperr.Internal, "Internal error.", err)
		}
		if err := add(oi, notExists); err != nil {
			return err
		}
	}

	if acc.RevokeSession != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: keyOf(sessionPK(acc.RevokeSession), skSession),
		}})
	}

	err := s.transact(ctx, items)
	if err == nil {
		return nil
	}
	if codes := cancelReasons(err); codes != nil {
		// DynamoDB reports every failed condition, so the username is
		// checked first: its answer must not depend on the email's.
		switch {
		case usernameIdx >= 0 && codes[usernameIdx] == "ConditionalCheckFailed":
			return registration.ErrUsernameTaken
		case codes[emailIdx] == "ConditionalCheckFailed":
			return registration.ErrEmailTaken
		}
	}
	return unavailable("TransactWriteItems", err)
}

// CustomerIDByEmail returns the owner of a normalised email address.
func (s *Store) CustomerIDByEmail(ctx context.Context, emailKey string) (string, error) {
	return s.CustomerIDByLogin(ctx, "email", emailKey)
}

// CustomerIDByLogin returns the owner of a normalised email address (kind
// "email") or username (kind "username"), or customer.ErrNotFound.
func (s *Store) CustomerIDByLogin(ctx context.Context, kind, key string) (string, error) {
	pk := emailPK(key)
	if kind == "username" {
		pk = usernamePK(key)
	}
	var k keyItem
	found, err := s.get(ctx, pk, skKey, &k)
	if err != nil {
		return "", err
	}
	if !found {
		return "", customer.ErrNotFound
	}
	return k.CustomerID, nil
}

// Customer returns a customer by id, or customer.ErrNotFound.
func (s *Store) Customer(ctx context.Context, id string) (customer.Customer, error) {
	var it customerItem
	found, err := s.get(ctx, customerPK(id), skProfile, &it)
	if err != nil {
		return customer.Customer{}, err
	}
	if !found {
		return customer.Customer{}, customer.ErrNotFound
	}
	return it.customer(), nil
}

// RecordAttempt stores the outbox job of a registration attempt on a taken
// address and ends the request's session, both or neither.
func (s *Store) RecordAttempt(ctx context.Context, job mail.Message, revokeSession string) error {
	oi, err := newOutboxItem(job)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	out, err := s.put(oi, notExists)
	if err != nil {
		return err
	}
	if revokeSession == "" {
		// A plain put: the same kind of call the new-address path makes
		// after its transaction, so the two answers cost alike.
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: out.Put.Item,
			ConditionExpression: out.Put.ConditionExpression}); err != nil {
			return unavailable("PutItem", err)
		}
		return nil
	}
	items := []types.TransactWriteItem{out, {Delete: &types.Delete{
		TableName: aws.String(s.table), Key: keyOf(sessionPK(revokeSession), skSession),
	}}}
	if err := s.transact(ctx, items); err != nil {
		return unavailable("TransactWriteItems", err)
	}
	return nil
}

// AddActivity appends an entry to a customer's activity log.
func (s *Store) AddActivity(ctx context.Context, a customer.Activity) error {
	ti, err := s.put(s.newActivityItem(a), "")
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: ti.Put.Item}); err != nil {
		return unavailable("PutItem", err)
	}
	return nil
}

// UpdatePasswordHash replaces a customer's password hash if it is still old,
// so two concurrent upgrades cannot overwrite a password change.
func (s *Store) UpdatePasswordHash(ctx context.Context, customerID, old, new string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 keyOf(customerPK(customerID), skProfile),
		UpdateExpression:    aws.String("SET passwordHash = :new, updatedAt = :now"),
		ConditionExpression: aws.String("passwordHash = :old"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": str(new), ":old": str(old), ":now": str(formatTime(s.now())),
		},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("store: password hash of %s changed meanwhile", customerID)
	}
	if err != nil {
		return unavailable("UpdateItem", err)
	}
	return nil
}
