package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
	"github.com/openreg/registration/internal/verification"
)

// Confirm verifies an address in one transaction: the customer leaves
// Unverified (on the conditions that its live link is the one used, unexpired
// and not spent, and the account itself unexpired), its keys stop expiring,
// and the session, activity entry and mails are stored. However many presses
// race, one wins.
func (s *Store) Confirm(ctx context.Context, c verification.Confirmation) error {
	at := formatTime(c.At)
	// The back office's index follows the status (statusindex.go).
	set := "SET #status = :next, emailVerifiedAt = :at, updatedAt = :at, verifiedLink = :d, statusKey = :sk"
	values := map[string]types.AttributeValue{
		":next": str(string(c.Next)), ":at": str(at), ":d": str(c.Digest), ":now": num(c.At.Unix()),
		":sk":         str(statusKey(c.StoreID, c.Next, statusShard(c.CustomerID))),
		":unverified": str(string(customer.Unverified)), ":max": num(verification.MaxPasswordTries),
	}
	if c.PasswordHash != "" {
		set += ", passwordHash = :hash"
		values[":hash"] = str(c.PasswordHash)
	}
	// The verification's activity entry is kept on the customer item.
	verified, err := attributevalue.Marshal(newEventRecord(c.Activity))
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	set += ", verified = :event"
	values[":event"] = verified
	t := s.newTx()
	t.add(types.TransactWriteItem{Update: &types.Update{
		TableName:        aws.String(s.table),
		Key:              keyOf(customerPK(c.CustomerID), keys.SKProfile),
		UpdateExpression: aws.String(set + " REMOVE link, expiresAt, #ttl"),
		ConditionExpression: aws.String("#status = :unverified AND link.digest = :d AND link.expiresAt > :now" +
			" AND link.attempts < :max AND (attribute_not_exists(expiresAt) OR expiresAt > :now)"),
		ExpressionAttributeNames:  map[string]string{"#status": "status", "#ttl": AttrTTL},
		ExpressionAttributeValues: values,
	}})
	// The login keys stop expiring and take the new status (and chosen
	// password) into their sign-in view.
	keySet := "SET #status = :next"
	keyValues := map[string]types.AttributeValue{":cid": str(c.CustomerID), ":next": str(string(c.Next))}
	if c.PasswordHash != "" {
		keySet += ", passwordHash = :hash"
		keyValues[":hash"] = str(c.PasswordHash)
	}
	for _, pk := range []string{emailPK(c.EmailKey), usernamePK(c.UsernameKey)} {
		if pk == usernamePK("") {
			continue
		}
		t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKKey),
			UpdateExpression: aws.String(keySet + " REMOVE #ttl"), ConditionExpression: aws.String("customerId = :cid"),
			ExpressionAttributeNames:  map[string]string{"#ttl": AttrTTL, "#status": "status"},
			ExpressionAttributeValues: keyValues}})
	}
	t.session(c.Session)
	t.activate(c.Activation)
	t.outbox(c.Outbox)
	t.events(c.Events)
	t.handOver(c.HandOver)
	return t.commit(ctx, verification.ErrConflict)
}

// LinkFailed counts a wrong password on the customer's live link.
func (s *Store) LinkFailed(ctx context.Context, customerID, digest string) (int, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      keyOf(customerPK(customerID), keys.SKProfile),
		UpdateExpression:         aws.String("SET link.attempts = link.attempts + :one"),
		ConditionExpression:      aws.String("#status = :unverified AND link.digest = :d AND link.attempts < :max"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":d": str(digest),
			":unverified": str(string(customer.Unverified)), ":max": num(verification.MaxPasswordTries)},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if isConditionFailed(err) {
		return 0, verification.ErrConflict
	}
	if err != nil {
		return 0, unavailable("UpdateItem", err)
	}
	var v struct {
		Link linkItem `dynamodbav:"link"`
	}
	if err := unmarshal(out.Attributes, &v); err != nil {
		return 0, err
	}
	return v.Link.Attempts, nil
}

// IssueLink makes l the customer's live link, on the conditions that it is
// still unverified and its live link is still previous, and logs a, in one
// transaction.
func (s *Store) IssueLink(ctx context.Context, customerID string, previous *customer.Link, l customer.Link, voided []string, a customer.Activity) error {
	li, err := attributevalue.Marshal(newLinkItem(&l))
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	vl, err := attributevalue.Marshal(voided)
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	cond := "#status = :unverified AND attribute_not_exists(link)"
	values := map[string]types.AttributeValue{":l": li, ":v": vl, ":unverified": str(string(customer.Unverified)),
		":now": str(formatTime(s.now()))}
	if previous != nil {
		cond = "#status = :unverified AND link.digest = :prev"
		values[":prev"] = str(previous.Digest)
	}
	t := s.newTx()
	t.add(types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.table), Key: keyOf(customerPK(customerID), keys.SKProfile),
		UpdateExpression:    aws.String("SET link = :l, voidedLinks = :v, updatedAt = :now"),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: values,
	}})
	t.activity(a)
	return t.commit(ctx, nil, refusal{0, verification.ErrConflict})
}

// VoidCodes spends every code mailed to the address emailKey (of the
// customer customerID, "" when it has none) before at: on the customer
// (links' codes) and on the email key (the sign-in code). The customer's
// updatedAt moves too, so a change read before it is refused and reads
// again rather than writing the old state back. What is gone has no codes:
// no error.
func (s *Store) VoidCodes(ctx context.Context, customerID, emailKey string, at time.Time) error {
	set := func(key map[string]types.AttributeValue, expr string) error {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(s.table), Key: key, UpdateExpression: aws.String(expr),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(formatTime(at))},
		})
		if err != nil && !isConditionFailed(err) {
			return unavailable("UpdateItem", err)
		}
		return nil
	}
	if err := set(keyOf(emailPK(emailKey), keys.SKKey), "SET codesVoidBefore = :at"); err != nil || customerID == "" {
		return err
	}
	return set(keyOf(customerPK(customerID), keys.SKProfile), "SET codesVoidBefore = :at, updatedAt = :at")
}

// SetSignInCode makes l the live sign-in code of the email key emailKey,
// if customerID still holds it.
func (s *Store) SetSignInCode(ctx context.Context, emailKey, customerID string, l customer.Link, a customer.Activity) error {
	li, err := attributevalue.Marshal(newLinkItem(&l))
	if err != nil {
		return err
	}
	t := s.newTx()
	at := t.add(types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.table), Key: keyOf(emailPK(emailKey), keys.SKKey),
		UpdateExpression:          aws.String("SET signInCode = :l"),
		ConditionExpression:       aws.String("customerId = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":l": li, ":id": str(customerID)},
	}})
	t.activity(a)
	return t.commit(ctx, nil, refusal{at, customer.ErrNotFound})
}

// SpendSignInCode removes the sign-in code of digest from the email key,
// if it is still there; account.ErrCodeUsed otherwise.
func (s *Store) SpendSignInCode(ctx context.Context, emailKey, digest string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(emailPK(emailKey), keys.SKKey),
		UpdateExpression:          aws.String("REMOVE signInCode"),
		ConditionExpression:       aws.String("signInCode.digest = :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": str(digest)},
	})
	if isConditionFailed(err) {
		return account.ErrCodeUsed
	}
	if err != nil {
		return unavailable("UpdateItem", err)
	}
	return nil
}

// ClaimSignInCode lets job mail a sign-in code to emailKey unless another
// job did within interval (a retry of the same job passes).
func (s *Store) ClaimSignInCode(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error) {
	return s.claimInterval(ctx, signInCodePK(emailKey), jobID, now, interval)
}
