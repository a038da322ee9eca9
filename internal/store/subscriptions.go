package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
)

// Newsletter subscriptions are items of their own, one per address,
// newsletter type and store, in the address's partition
// (NEWSLETTER#<store>#<normalised address>), so one Query reads all of an
// address's subscriptions in a store. They are written in the transaction
// of the change that makes them (registration, confirmation, My account), so
// none exists without its change or the other way round.

func subscriptionPK(storeID, emailKey string) string {
	return keys.Newsletter + storeID + "#" + emailKey
}

type subscriptionItem struct {
	head
	ID          string `dynamodbav:"id"`
	StoreID     string `dynamodbav:"storeId"`
	Email       string `dynamodbav:"email"`
	Newsletter  string `dynamodbav:"newsletter"`
	Active      bool   `dynamodbav:"active"`
	Language    string `dynamodbav:"language,omitempty"`
	CreatedAt   string `dynamodbav:"createdAt"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
	ActivatedAt string `dynamodbav:"activatedAt,omitempty"`
	// ExpiresAt and TTL (epoch seconds) are set while the record waits for
	// an unverified account's opt-in.
	ExpiresAt int64 `dynamodbav:"expiresAt,omitempty"`
	TTL       int64 `dynamodbav:"ttl,omitempty"`
}

func newSubscriptionItem(s customer.Subscription) subscriptionItem {
	return subscriptionItem{head: head{subscriptionPK(s.StoreID, customer.NormalizeLogin(s.Email)), keys.SKNewsletter + s.Type, "subscription"},
		ID: s.ID, StoreID: s.StoreID, Email: s.Email, Newsletter: s.Type, Active: s.Active,
		Language: s.Language, CreatedAt: formatTime(s.CreatedAt), UpdatedAt: formatTime(s.UpdatedAt),
		ActivatedAt: formatTime(s.ActivatedAt), ExpiresAt: epoch(s.ExpiresAt), TTL: epoch(s.ExpiresAt)}
}

func (i subscriptionItem) subscription() customer.Subscription {
	return customer.Subscription{ID: i.ID, StoreID: i.StoreID, Email: i.Email, Type: i.Newsletter, Active: i.Active,
		Language: i.Language, CreatedAt: parseTime(i.CreatedAt), UpdatedAt: parseTime(i.UpdatedAt),
		ActivatedAt: parseTime(i.ActivatedAt), ExpiresAt: fromEpoch(i.ExpiresAt)}
}

// Subscriptions returns the newsletter subscriptions of a normalised
// address in a store, in one consistent Query.
func (s *Store) Subscriptions(ctx context.Context, storeID, emailKey string) ([]customer.Subscription, error) {
	var out []customer.Subscription
	err := s.query(ctx, subscriptionPK(storeID, emailKey), keys.SKNewsletter, func(_ string, item map[string]types.AttributeValue) error {
		var it subscriptionItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		// The TTL removes an expired record later; it is gone now.
		if sub := it.subscription(); !sub.Expired(s.now()) {
			out = append(out, sub)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// activate adds the updates that start an address's waiting subscriptions
// (customer.Activation), one per type, reading nothing: each sets the
// record active and removes its expiry, and creates it, under the
// activation's id, in the case it is missing.
func (t *tx) activate(a *customer.Activation) {
	if a == nil {
		return
	}
	at := formatTime(a.At)
	for _, typ := range a.Types {
		t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(t.s.table),
			Key: keyOf(subscriptionPK(a.StoreID, customer.NormalizeLogin(a.Email)), keys.SKNewsletter+typ),
			UpdateExpression: aws.String("SET active = :true, updatedAt = :at, activatedAt = :at, #type = :kind, " +
				"id = if_not_exists(id, :id), storeId = :store, email = if_not_exists(email, :email), newsletter = :n, " +
				"#lang = if_not_exists(#lang, :lang), createdAt = if_not_exists(createdAt, :at) REMOVE expiresAt, #ttl"),
			ExpressionAttributeNames: map[string]string{"#type": AttrType, "#lang": "language", "#ttl": AttrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":true": &types.AttributeValueMemberBOOL{Value: true}, ":at": str(at), ":kind": str("subscription"),
				":id": str(a.NewID), ":store": str(a.StoreID), ":email": str(a.Email), ":n": str(typ), ":lang": str(a.Language),
			},
		}})
	}
}

// subscriptions adds the records a change writes and those it removes (an
// address change moves them, an erasure removes them).
func (t *tx) subscriptions(put, drop []customer.Subscription) {
	for _, s := range put {
		t.put(newSubscriptionItem(s), "", nil)
	}
	for _, s := range drop {
		it := newSubscriptionItem(s)
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.s.table), Key: keyOf(it.PK, it.SK)}})
	}
}
