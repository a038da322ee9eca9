package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/store/keys"
)

// Passkeys live in their customer's partition (CUSTOMER#<id>,
// PASSKEY#<credential id>): the customer's list is one Query, a sign-in
// reads the one it names with the customer and its challenge in one
// BatchGetItem. Challenges have a partition of their own
// (PASSKEYCHALLENGE#): a sign-in's under its id (no customer is known when
// it begins), a registration's under its customer, so a newer one
// replaces it. A challenge is spent by a conditional delete in the write
// that finishes its ceremony: it must exist and not have expired.

func passkeySK(idText string) string { return keys.SKPasskey + idText }

func passkeyKey(customerID, idText string) map[string]types.AttributeValue {
	return keyOf(customerPK(customerID), passkeySK(idText))
}

func signInChallengePK(id string) string               { return keys.PasskeyChallenge + id }
func registrationChallengePK(customerID string) string { return keys.PasskeyRegistration + customerID }

// challengePK is where ch is stored.
func challengePK(ch passkey.Challenge) (string, error) {
	switch {
	case ch.Purpose == passkey.PurposeSignIn && ch.ID != "":
		return signInChallengePK(ch.ID), nil
	case ch.Purpose == passkey.PurposeRegister && ch.CustomerID != "":
		return registrationChallengePK(ch.CustomerID), nil
	}
	return "", apperr.Wrap(apperr.Internal, "Internal error.",
		fmt.Errorf("store: a passkey challenge of purpose %q without its id or customer", ch.Purpose))
}

// challengeItem is a begun passkey ceremony (passkey.Challenge).
type challengeItem struct {
	head
	ID         string `dynamodbav:"id"`
	Digest     string `dynamodbav:"digest"`
	Purpose    string `dynamodbav:"purpose"`
	RPID       string `dynamodbav:"rpId"`
	CustomerID string `dynamodbav:"customerId,omitempty"`
	// ExpiresAt is Unix nanoseconds, which the deletes that spend the
	// challenge compare (unexpired); TTL the epoch second after it.
	ExpiresAt int64 `dynamodbav:"expiresAt"`
	TTL       int64 `dynamodbav:"ttl"`
}

func newChallengeItem(pk string, ch passkey.Challenge) challengeItem {
	ttl := ch.ExpiresAt.Unix()
	if ch.ExpiresAt.Nanosecond() != 0 {
		ttl++
	}
	return challengeItem{head: head{pk, keys.SKChallenge, "passkeyChallenge"}, ID: ch.ID, Digest: ch.Digest,
		Purpose: string(ch.Purpose), RPID: ch.RPID, CustomerID: ch.CustomerID, ExpiresAt: unixNano(ch.ExpiresAt), TTL: ttl}
}

func (i challengeItem) challenge() passkey.Challenge {
	ch := passkey.Challenge{ID: i.ID, Digest: i.Digest, Purpose: passkey.Purpose(i.Purpose), RPID: i.RPID, CustomerID: i.CustomerID}
	if i.ExpiresAt != 0 {
		ch.ExpiresAt = time.Unix(0, i.ExpiresAt).UTC()
	}
	return ch
}

// spendChallenge is the delete of the challenge stored under pk, on the
// condition that it is there, of purpose, and unexpired.
func (s *Store) spendChallenge(pk string, purpose passkey.Purpose) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKChallenge),
		ConditionExpression:      aws.String("attribute_exists(PK) AND #purpose = :purpose AND expiresAt > :now"),
		ExpressionAttributeNames: map[string]string{"#purpose": "purpose"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":purpose": str(string(purpose)),
			":now": num(s.now().UnixNano())}}}
}

// passkeyItem is one passkey (passkey.Credential). Its id and public key
// are binary attributes.
type passkeyItem struct {
	head
	ID             []byte   `dynamodbav:"credentialId"`
	CustomerID     string   `dynamodbav:"customerId"`
	PublicKey      []byte   `dynamodbav:"publicKey"`
	Algorithm      int64    `dynamodbav:"algorithm"`
	SignCount      uint32   `dynamodbav:"signCount"`
	AAGUID         string   `dynamodbav:"aaguid,omitempty"`
	Transports     []string `dynamodbav:"transports,omitempty"`
	BackupEligible bool     `dynamodbav:"backupEligible"`
	BackupState    bool     `dynamodbav:"backupState"`
	Name           string   `dynamodbav:"name,omitempty"`
	CreatedAt      string   `dynamodbav:"createdAt,omitempty"`
	LastUsedAt     string   `dynamodbav:"lastUsedAt,omitempty"`
	AddedBySession string   `dynamodbav:"addedBySession,omitempty"`
}

func newPasskeyItem(c passkey.Credential) passkeyItem {
	return passkeyItem{head: head{customerPK(c.CustomerID), passkeySK(c.IDText()), "passkey"},
		ID: c.ID, CustomerID: c.CustomerID, PublicKey: c.PublicKey, Algorithm: c.Algorithm, SignCount: c.SignCount,
		AAGUID: c.AAGUID, Transports: c.Transports, BackupEligible: c.BackupEligible, BackupState: c.BackupState,
		Name: c.Name, CreatedAt: formatTime(c.CreatedAt), LastUsedAt: formatTime(c.LastUsedAt), AddedBySession: c.AddedBySession}
}

func (i passkeyItem) credential() passkey.Credential {
	c := passkey.Credential{ID: i.ID, CustomerID: i.CustomerID, PublicKey: i.PublicKey, Algorithm: i.Algorithm,
		SignCount: i.SignCount, AAGUID: i.AAGUID, Transports: i.Transports, BackupEligible: i.BackupEligible,
		BackupState: i.BackupState, Name: i.Name, CreatedAt: parseTime(i.CreatedAt), LastUsedAt: parseTime(i.LastUsedAt),
		AddedBySession: i.AddedBySession}
	if len(c.Transports) == 0 {
		c.Transports = nil
	}
	return c
}

// PutPasskeyChallenge stores ch until it expires: a sign-in challenge
// under its id, a registration challenge under its customer (replacing the
// customer's pending one).
func (s *Store) PutPasskeyChallenge(ctx context.Context, ch passkey.Challenge) error {
	pk, err := challengePK(ch)
	if err != nil {
		return err
	}
	t := s.newTx()
	t.put(newChallengeItem(pk, ch), "", nil)
	_, err = t.run(ctx)
	return err
}

// RegistrationChallenge returns the customer's pending registration
// challenge; customer.ErrNotFound when none. An expired one the table has
// not removed yet is returned: finishing checks the expiry, and the write
// that spends it refuses it.
func (s *Store) RegistrationChallenge(ctx context.Context, customerID string) (passkey.Challenge, error) {
	it, err := getItem[challengeItem](ctx, s, registrationChallengePK(customerID), keys.SKChallenge, customer.ErrNotFound)
	if err != nil {
		return passkey.Challenge{}, err
	}
	return it.challenge(), nil
}

// Passkeys returns the customer's passkeys, by credential id, from one
// Query of the partition's PASSKEY# items.
func (s *Store) Passkeys(ctx context.Context, customerID string) ([]passkey.Credential, error) {
	var all []passkey.Credential
	err := s.query(ctx, customerPK(customerID), keys.SKPasskey, func(_ string, item map[string]types.AttributeValue) error {
		var it passkeyItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		all = append(all, it.credential())
		return nil
	})
	return all, err
}

// AddPasskey adds a passkey in one transaction; see account.PasskeyAdd.
func (s *Store) AddPasskey(ctx context.Context, a account.PasskeyAdd) error {
	c := a.Credential
	if c.CustomerID == "" || len(c.ID) == 0 {
		return apperr.Wrap(apperr.Internal, "Internal error.", fmt.Errorf("store: a passkey without its customer or id"))
	}
	t := s.newTx()
	sessionAt := -1
	if !a.Session.IsZero() {
		sessionAt = t.add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
			Key: sessionKey(a.Session), ConditionExpression: aws.String("attribute_exists(PK)")}})
	}
	challengeAt := t.add(s.spendChallenge(registrationChallengePK(c.CustomerID), passkey.PurposeRegister))
	var notices []outbox.Message
	if a.Notice.Content != nil {
		notices = append(notices, a.Notice)
	}
	t.logged(a.Activity, notices)
	passkeyAt := t.put(newPasskeyItem(c), notExists, nil)
	// The account notes it has passkeys (a recovery reads them only then);
	// updatedAt moves, so a change read before this one reads again.
	at := str(formatTime(a.Activity.At))
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(customerPK(c.CustomerID), keys.SKProfile),
		UpdateExpression: aws.String("SET hasPasskeys = :t, updatedAt = :at"), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}, ":at": at}}})
	t.events(a.Events)
	return t.commit(ctx, nil, refusal{sessionAt, account.ErrSessionGone}, refusal{challengeAt, account.ErrChallengeUsed},
		refusal{passkeyAt, account.ErrPasskeyExists})
}

// RemovePasskey deletes one of the customer's passkeys and stores a and
// the events, in one transaction; customer.ErrNotFound when the customer
// has no passkey by that id.
func (s *Store) RemovePasskey(ctx context.Context, customerID, credentialID string, a customer.Activity, events []event.Event) error {
	t := s.newTx()
	at := t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table),
		Key: passkeyKey(customerID, credentialID), ConditionExpression: aws.String("attribute_exists(PK)")}})
	t.activity(a)
	t.events(events)
	return t.commit(ctx, nil, refusal{at, customer.ErrNotFound})
}

// PasskeySignIn reads a sign-in's challenge, the passkey it names and its
// customer in one BatchGetItem; customer.ErrNotFound when any is missing
// (a challenge of another purpose is missing too).
func (s *Store) PasskeySignIn(ctx context.Context, challengeID, customerID, credentialID string) (passkey.Challenge, passkey.Credential, customer.Customer, error) {
	chPK, pkSK := signInChallengePK(challengeID), passkeySK(credentialID)
	batch := &types.KeysAndAttributes{ConsistentRead: aws.Bool(true), Keys: []map[string]types.AttributeValue{
		keyOf(chPK, keys.SKChallenge), passkeyKey(customerID, credentialID), keyOf(customerPK(customerID), keys.SKProfile)}}
	var ch *challengeItem
	var cred *passkeyItem
	var cust *customerItem
	fail := func(err error) (passkey.Challenge, passkey.Credential, customer.Customer, error) {
		return passkey.Challenge{}, passkey.Credential{}, customer.Customer{}, err
	}
	// A batch may leave keys unprocessed under load; they are asked again.
	for attempt := 0; batch != nil && len(batch.Keys) > 0; attempt++ {
		if attempt == 3 {
			return fail(unavailable("BatchGetItem", fmt.Errorf("keys left unprocessed")))
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{s.table: *batch}})
		if err != nil {
			return fail(unavailable("BatchGetItem", err))
		}
		for _, item := range out.Responses[s.table] {
			pk, _ := item[AttrPK].(*types.AttributeValueMemberS)
			sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
			if pk == nil || sk == nil {
				continue
			}
			var dst any
			switch {
			case pk.Value == chPK && sk.Value == keys.SKChallenge:
				ch = &challengeItem{}
				dst = ch
			case sk.Value == pkSK:
				cred = &passkeyItem{}
				dst = cred
			case sk.Value == keys.SKProfile:
				cust = &customerItem{}
				dst = cust
			default:
				continue
			}
			if err := unmarshal(item, dst); err != nil {
				return fail(err)
			}
		}
		next, ok := out.UnprocessedKeys[s.table]
		batch = nil
		if ok {
			batch = &next
		}
	}
	if ch == nil || cred == nil || cust == nil || ch.Purpose != string(passkey.PurposeSignIn) {
		return fail(customer.ErrNotFound)
	}
	return ch.challenge(), cred.credential(), cust.customer(), nil
}

// passkeyUse adds what a passkey sign-in writes: the challenge's delete
// and the credential's replacement on the condition that its counter is
// still the one verified against. Both are items no other part of a
// sign-in's write touches. It returns their positions.
func (t *tx) passkeyUse(u *account.PasskeyUse) (challengeAt, credentialAt int) {
	challengeAt = t.add(t.s.spendChallenge(signInChallengePK(u.ChallengeID), passkey.PurposeSignIn))
	credentialAt = t.put(newPasskeyItem(u.Credential), "signCount = :prev",
		map[string]types.AttributeValue{":prev": num(int64(u.PreviousCount))})
	return challengeAt, credentialAt
}

// dropPasskeys deletes the customer's passkeys by id (a missing one is
// fine).
func (t *tx) dropPasskeys(customerID string, ids []string) {
	var seen []string
	for _, id := range ids {
		if slices.Contains(seen, id) {
			continue // one operation per item
		}
		seen = append(seen, id)
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.s.table), Key: passkeyKey(customerID, id)}})
	}
}
