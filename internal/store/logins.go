package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/customer"
)

// Login keys. EMAIL#<normalised address> and USERNAME#<normalised name>
// (SK KEY) reserve a login for one customer (or, a username only, for a
// pending registration), and carry the holder's sign-in view: its password
// hash, status, store and language. A sign-in then reads one item. Every
// write that changes a customer's hash or status changes its login keys in
// the same transaction (loginView is the one place that decides what they
// hold).
//
// TTL is set while the holder is unverified or pending: a key whose TTL has
// passed is free (keyFree), whether or not the table has deleted it yet.

// keyFree is the condition of claiming a login key: none exists, or the one
// there belonged to an account (or pending registration) whose time ran out.
const keyFree = "attribute_not_exists(PK) OR (attribute_exists(#ttl) AND #ttl <= :now)"

type keyItem struct {
	PK             string `dynamodbav:"PK"`
	SK             string `dynamodbav:"SK"`
	Type           string `dynamodbav:"type"`
	CustomerID     string `dynamodbav:"customerId,omitempty"`
	RegistrationID string `dynamodbav:"registrationId,omitempty"`
	PasswordHash   string `dynamodbav:"passwordHash,omitempty"`
	Status         string `dynamodbav:"status,omitempty"`
	StoreID        string `dynamodbav:"storeId,omitempty"`
	Language       string `dynamodbav:"language,omitempty"`
	TTL            int64  `dynamodbav:"ttl,omitempty"`
}

// loginKeys are the partition keys of a customer's login keys.
func loginKeys(c customer.Customer) []string {
	keys := []string{emailPK(customer.NormalizeLogin(c.Email))}
	if c.Username != "" {
		keys = append(keys, usernamePK(customer.NormalizeLogin(c.Username)))
	}
	return keys
}

// loginKey is the login key pk of c, with c's sign-in view.
func loginKey(pk string, c customer.Customer) keyItem {
	kind := "email"
	if pk != emailPK(customer.NormalizeLogin(c.Email)) {
		kind = "username"
	}
	return keyItem{PK: pk, SK: skKey, Type: kind, CustomerID: c.ID, PasswordHash: c.PasswordHash,
		Status: string(c.Status), StoreID: c.StoreID, Language: c.Language, TTL: epoch(c.ExpiresAt)}
}

// loginView is the update that brings the login key pk in line with c (its
// view and its TTL), on the condition that c still holds it.
func (s *Store) loginView(pk string, c customer.Customer) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":cid": str(c.ID), ":hash": str(c.PasswordHash),
		":status": str(string(c.Status)), ":store": str(c.StoreID), ":lang": str(c.Language)}
	expr := "SET passwordHash = :hash, #status = :status, storeId = :store, #lang = :lang"
	if c.ExpiresAt.IsZero() {
		expr += " REMOVE #ttl"
	} else {
		expr += ", #ttl = :ttl"
		values[":ttl"] = num(c.ExpiresAt.Unix())
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(pk, skKey),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("customerId = :cid"),
		ExpressionAttributeNames:  map[string]string{"#ttl": AttrTTL, "#status": "status", "#lang": "language"},
		ExpressionAttributeValues: values}}
}

// Login returns the sign-in view of the customer holding a normalised email
// address (kind "email") or username (kind "username"), from one read, or
// customer.ErrNotFound, also for a key whose time ran out or that only a
// pending registration holds. The view has the customer's ID, PasswordHash,
// Status, StoreID, Language and ExpiresAt; nothing else.
func (s *Store) Login(ctx context.Context, kind, key string) (customer.Customer, error) {
	pk := emailPK(key)
	if kind == "username" {
		pk = usernamePK(key)
	}
	var k keyItem
	found, err := s.get(ctx, pk, skKey, &k)
	if err != nil {
		return customer.Customer{}, err
	}
	if !found || k.CustomerID == "" || (k.TTL > 0 && k.TTL <= s.now().Unix()) {
		return customer.Customer{}, customer.ErrNotFound
	}
	return customer.Customer{ID: k.CustomerID, PasswordHash: k.PasswordHash, Status: customer.Status(k.Status),
		StoreID: k.StoreID, Language: k.Language, ExpiresAt: fromEpoch(k.TTL)}, nil
}

// CustomerIDByEmail returns the owner of a normalised email address, or
// customer.ErrNotFound.
func (s *Store) CustomerIDByEmail(ctx context.Context, emailKey string) (string, error) {
	c, err := s.Login(ctx, "email", emailKey)
	return c.ID, err
}
