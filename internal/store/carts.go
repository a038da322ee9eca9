package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/guest"
	"github.com/openreg/registration/internal/store/keys"
	"github.com/openreg/registration/internal/throttle"
)

// Guests and carts. A guest is one item holding its cart (one read
// resolves the guest and its cart); a customer's cart is an item beside
// the customer. Lines are a map from SKU to quantity, so setting one line
// is one conditional update that also enforces the line limit.

func guestPK(id string) string { return keys.Guest + id }

// guestUsable is the condition that a guest exists, is not retired and has
// not expired at :now (guest.Guest.Usable).
const guestUsable = "attribute_exists(PK) AND attribute_not_exists(retiredTo) AND expiresAt > :now"

type guestItem struct {
	head
	ID          string         `dynamodbav:"id"`
	AffiliateID string         `dynamodbav:"affiliateId,omitempty"`
	CreatedAt   string         `dynamodbav:"createdAt"`
	ExpiresAt   int64          `dynamodbav:"expiresAt"`
	RetiredTo   string         `dynamodbav:"retiredTo,omitempty"`
	Lines       map[string]int `dynamodbav:"lines"`
	TTL         int64          `dynamodbav:"ttl"`
}

type cartItem struct {
	head
	Lines       map[string]int `dynamodbav:"lines"`
	AffiliateID string         `dynamodbav:"affiliateId,omitempty"`
	// Rev counts the cart's writes; a hand-over is conditioned on it.
	Rev int64 `dynamodbav:"rev"`
}

func linesOf(m map[string]int) []cart.Line {
	out := make([]cart.Line, 0, len(m))
	for sku, q := range m {
		out = append(out, cart.Line{SKU: sku, Quantity: q})
	}
	return cart.Sorted(out)
}

func lineMap(lines []cart.Line) map[string]int {
	m := make(map[string]int, len(lines))
	for _, l := range lines {
		m[l.SKU] = l.Quantity
	}
	return m
}

// Guest returns a guest and its lines; see shopping.Store.
func (s *Store) Guest(ctx context.Context, id string) (guest.Guest, []cart.Line, error) {
	it, err := getItem[guestItem](ctx, s, guestPK(id), keys.SKGuest, guest.ErrNotFound)
	if err != nil {
		return guest.Guest{}, nil, err
	}
	return guest.Guest{ID: it.ID, AffiliateID: it.AffiliateID, CreatedAt: parseTime(it.CreatedAt),
		ExpiresAt: fromEpoch(it.ExpiresAt), RetiredTo: it.RetiredTo}, linesOf(it.Lines), nil
}

// CreateGuest stores a new guest; see shopping.Store.
func (s *Store) CreateGuest(ctx context.Context, g guest.Guest, lines []cart.Line, limit *throttle.Counter) error {
	t := s.newTx()
	t.put(guestItem{head: head{guestPK(g.ID), keys.SKGuest, "guest"}, ID: g.ID, AffiliateID: g.AffiliateID,
		CreatedAt: formatTime(g.CreatedAt), ExpiresAt: g.ExpiresAt.Unix(), Lines: lineMap(lines), TTL: g.ExpiresAt.Unix()}, notExists, nil)
	t.count(limit)
	_, err := t.run(ctx)
	return err
}

// RefreshGuest extends a usable guest's life; see shopping.Store.
func (s *Store) RefreshGuest(ctx context.Context, id string, expires time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(guestPK(id), keys.SKGuest),
		UpdateExpression:          aws.String("SET expiresAt = :e, #ttl = :e"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(retiredTo) AND expiresAt < :e"),
		ExpressionAttributeNames:  map[string]string{"#ttl": AttrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": num(expires.Unix())},
	})
	if isConditionFailed(err) {
		return cart.ErrNoGuest
	}
	if err != nil {
		return unavailable("UpdateItem", err)
	}
	return nil
}

// CustomerCart returns a customer's cart; see shopping.Store.
func (s *Store) CustomerCart(ctx context.Context, customerID string) (cart.Stored, error) {
	var it cartItem
	found, err := s.get(ctx, customerPK(customerID), keys.SKCart, &it)
	if err != nil || !found {
		return cart.Stored{Lines: []cart.Line{}}, err
	}
	return cart.Stored{Lines: linesOf(it.Lines), AffiliateID: it.AffiliateID, Rev: it.Rev}, nil
}

// handOver adds a hand-over's two writes (see cart.HandOver) and returns
// their positions.
func (t *tx) handOver(h *cart.HandOver) (guestAt, cartAt int) {
	if h == nil {
		return -1, -1
	}
	guestAt = t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(t.s.table), Key: keyOf(guestPK(h.GuestID), keys.SKGuest),
		UpdateExpression:         aws.String("SET retiredTo = :cid, #lines = :none"),
		ConditionExpression:      aws.String(guestUsable),
		ExpressionAttributeNames: map[string]string{"#lines": "lines"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":cid": str(h.CustomerID), ":now": num(h.At.Unix()),
			":none": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}}})
	cond, values := "attribute_not_exists(PK)", map[string]types.AttributeValue(nil)
	if h.Rev > 0 {
		cond, values = "rev = :rev", map[string]types.AttributeValue{":rev": num(h.Rev)}
	}
	cartAt = t.put(cartItem{head: head{customerPK(h.CustomerID), keys.SKCart, "cart"}, Lines: lineMap(h.Lines),
		AffiliateID: h.AffiliateID, Rev: h.Rev + 1}, cond, values)
	return guestAt, cartAt
}

// ownerKey is the item that holds an owner's lines, and the condition that
// it is still usable.
func ownerKey(o cart.Owner, now time.Time) (map[string]types.AttributeValue, string, map[string]types.AttributeValue) {
	if o.GuestID != "" {
		return keyOf(guestPK(o.GuestID), keys.SKGuest), guestUsable,
			map[string]types.AttributeValue{":now": num(now.Unix())}
	}
	return keyOf(customerPK(o.CustomerID), keys.SKCart), "attribute_exists(PK)", map[string]types.AttributeValue{}
}

// SetLine sets one line; see shopping.Store.
func (s *Store) SetLine(ctx context.Context, o cart.Owner, l cart.Line, maxLines int, now time.Time) error {
	key, usable, values := ownerKey(o, now)
	values[":q"], values[":max"] = num(int64(l.Quantity)), num(int64(maxLines))
	if o.GuestID == "" {
		values[":one"] = num(1)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: key,
		UpdateExpression:                    aws.String(setLine(o)),
		ConditionExpression:                 aws.String(usable + " AND (attribute_exists(#lines.#sku) OR size(#lines) < :max)"),
		ExpressionAttributeNames:            map[string]string{"#sku": l.SKU, "#lines": "lines"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &cf):
		return unavailable("UpdateItem", err)
	case len(cf.Item) > 0:
		if _, retired := cf.Item["retiredTo"]; !retired && (o.GuestID == "" || stillUsable(cf.Item, now)) {
			return cart.ErrTooManyLines
		}
		return cart.ErrNoGuest
	case o.GuestID != "":
		return cart.ErrNoGuest
	}
	// A customer's first line: the cart item does not exist yet.
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{AttrPK: str(customerPK(o.CustomerID)), AttrSK: str(keys.SKCart), "type": str("cart"),
			"lines": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{l.SKU: num(int64(l.Quantity))}},
			"rev":   num(1)},
		ConditionExpression: aws.String(notExists)})
	if isConditionFailed(err) { // another request made it first: set the line on it
		return s.SetLine(ctx, o, l, maxLines, now)
	}
	if err != nil {
		return unavailable("PutItem", err)
	}
	return nil
}

// setLine is the update of one line; a customer's cart counts the write.
func setLine(o cart.Owner) string {
	if o.GuestID != "" {
		return "SET #lines.#sku = :q"
	}
	return "SET #lines.#sku = :q ADD rev :one"
}

func stillUsable(item map[string]types.AttributeValue, now time.Time) bool {
	var it guestItem
	if unmarshal(item, &it) != nil {
		return false
	}
	return it.ExpiresAt > now.Unix()
}

// RemoveLine removes one line; see shopping.Store.
func (s *Store) RemoveLine(ctx context.Context, o cart.Owner, sku string, now time.Time) error {
	key, usable, values := ownerKey(o, now)
	expr := "REMOVE #lines.#sku"
	if o.GuestID == "" {
		expr += " ADD rev :one"
		values[":one"] = num(1)
	}
	in := &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: key,
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(usable),
		ExpressionAttributeNames: map[string]string{"#sku": sku, "#lines": "lines"}}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	_, err := s.db.UpdateItem(ctx, in)
	switch {
	case isConditionFailed(err) && o.GuestID != "":
		return cart.ErrNoGuest
	case isConditionFailed(err): // no cart: nothing to remove
		return nil
	case err != nil:
		return unavailable("UpdateItem", err)
	}
	return nil
}
