package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
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
	head
	CustomerID     string `dynamodbav:"customerId,omitempty"`
	RegistrationID string `dynamodbav:"registrationId,omitempty"`
	PasswordHash   string `dynamodbav:"passwordHash,omitempty"`
	Status         string `dynamodbav:"status,omitempty"`
	StoreID        string `dynamodbav:"storeId,omitempty"`
	Language       string `dynamodbav:"language,omitempty"`
	// RecoveredAt is the account's (customer.Customer): device tokens
	// issued before it are worth nothing.
	RecoveredAt string `dynamodbav:"recoveredAt,omitempty"`
	TTL         int64  `dynamodbav:"ttl,omitempty"`
	// SignInCode is the live passwordless sign-in code (an email key's
	// only), CodesVoidBefore when the address's codes were voided.
	SignInCode      *linkItem `dynamodbav:"signInCode,omitempty"`
	CodesVoidBefore string    `dynamodbav:"codesVoidBefore,omitempty"`
	NoticedAt       string    `dynamodbav:"noticedAt,omitempty"`
	// Besides these, a key holds its devices as attributes of their own:
	// device#<id> (issued, Unix seconds) and devfail#<id> (failures), so a
	// sign-in's write sets or counts one without reading (account.SignIn).
}

// Attribute name prefixes of a login key's devices.
const (
	attrDevice     = "device#"
	attrDeviceFail = "devfail#"
)

// loginNames are c's normalised email address and username ("" when it has
// none).
func loginNames(c customer.Customer) (email, username string) {
	if c.Username != "" {
		username = customer.NormalizeLogin(c.Username)
	}
	return customer.NormalizeLogin(c.Email), username
}

// loginKeys are the partition keys of a customer's login keys.
func loginKeys(c customer.Customer) []string {
	email, username := loginNames(c)
	pks := []string{emailPK(email)}
	if username != "" {
		pks = append(pks, usernamePK(username))
	}
	return pks
}

// claim adds the put of a login key on the condition that it is free
// (keyFree) and returns its position.
func (t *tx) claim(k keyItem) int {
	return t.put(k, keyFree, map[string]types.AttributeValue{":now": num(t.s.now().Unix())})
}

// release adds the delete of the login key pk, on the condition that
// customerID still holds it.
func (t *tx) release(pk, customerID string) {
	t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.s.table), Key: keyOf(pk, keys.SKKey),
		ConditionExpression: aws.String("customerId = :cid"), ExpressionAttributeValues: map[string]types.AttributeValue{":cid": str(customerID)}}})
}

// loginKey is the login key pk of c, with c's sign-in view.
func loginKey(pk string, c customer.Customer) keyItem {
	kind := "email"
	if pk != emailPK(customer.NormalizeLogin(c.Email)) {
		kind = "username"
	}
	return keyItem{head: head{pk, keys.SKKey, kind}, CustomerID: c.ID, PasswordHash: c.PasswordHash,
		Status: string(c.Status), StoreID: c.StoreID, Language: c.Language, RecoveredAt: formatTime(c.RecoveredAt),
		TTL: epoch(c.ExpiresAt)}
}

// loginView is the update that brings the login key pk in line with c (its
// view and its TTL), on the condition that c still holds it.
func (s *Store) loginView(pk string, c customer.Customer) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":cid": str(c.ID), ":hash": str(c.PasswordHash),
		":status": str(string(c.Status)), ":store": str(c.StoreID), ":lang": str(c.Language)}
	expr := "SET passwordHash = :hash, #status = :status, storeId = :store, #lang = :lang"
	if !c.RecoveredAt.IsZero() {
		expr += ", recoveredAt = :recovered"
		values[":recovered"] = str(formatTime(c.RecoveredAt))
	}
	if c.ExpiresAt.IsZero() {
		expr += " REMOVE #ttl"
	} else {
		expr += ", #ttl = :ttl"
		values[":ttl"] = num(c.ExpiresAt.Unix())
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKKey),
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
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKKey), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return customer.Customer{}, unavailable("GetItem", err)
	}
	var k keyItem
	if out.Item != nil {
		if err := unmarshal(out.Item, &k); err != nil {
			return customer.Customer{}, err
		}
	}
	if out.Item == nil || k.CustomerID == "" || (k.TTL > 0 && k.TTL <= s.now().Unix()) {
		return customer.Customer{}, customer.ErrNotFound
	}
	return customer.Customer{ID: k.CustomerID, PasswordHash: k.PasswordHash, Status: customer.Status(k.Status),
		StoreID: k.StoreID, Language: k.Language, ExpiresAt: fromEpoch(k.TTL), RecoveredAt: parseTime(k.RecoveredAt),
		Devices: devicesOf(out.Item), SignInCode: k.SignInCode.link(), CodesVoidBefore: parseTime(k.CodesVoidBefore),
		NoticedAt: parseTime(k.NoticedAt)}, nil
}

// devicesOf reads a login key's devices (nil when it has none).
func devicesOf(item map[string]types.AttributeValue) map[string]customer.Device {
	var out map[string]customer.Device
	for name, v := range item {
		id, ok := strings.CutPrefix(name, attrDevice)
		n, isNum := v.(*types.AttributeValueMemberN)
		if !ok || !isNum {
			continue
		}
		issued, _ := strconv.ParseInt(n.Value, 10, 64)
		d := customer.Device{IssuedAt: time.Unix(issued, 0).UTC()}
		if f, ok := item[attrDeviceFail+id].(*types.AttributeValueMemberN); ok {
			d.Failures, _ = strconv.Atoi(f.Value)
		}
		if out == nil {
			out = map[string]customer.Device{}
		}
		out[id] = d
	}
	return out
}

// CustomerIDByEmail returns the owner of a normalised email address, or
// customer.ErrNotFound.
func (s *Store) CustomerIDByEmail(ctx context.Context, emailKey string) (string, error) {
	c, err := s.Login(ctx, "email", emailKey)
	return c.ID, err
}
