package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
)

// The byStatus index lists a store's customers of one status, newest
// first, for the back office. Its partition key is sharded: a customer's
// statusKey is "<store>#<status>#<shard>", the shard a hash of its id, so the
// writes of one busy status (every registration is unverified first) spread
// over StatusShards partitions instead of funnelling into one. A page queries
// every shard for at most a page of items older than the cursor and merges
// them: StatusShards × limit items read per page, whatever the table's size,
// and never a scan. The undeliverable list (customer.Undeliverable) reads
// the sparse byUndeliverable index instead: one partition a store, since
// only the few customers whose mail stopped carry its key.

// StatusShards is how many partitions one store's status is spread over.
const StatusShards = 8

func statusShard(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % StatusShards)
}

func statusKey(storeID string, st customer.Status, shard int) string {
	return fmt.Sprintf("%s#%s#%d", storeID, st, shard)
}

// statusKeys are the index attributes of c; none for an erased account.
func statusKeys(c customer.Customer) (key, sort string) {
	if c.Status == customer.Deleted || c.ID == "" {
		return "", ""
	}
	return statusKey(c.StoreID, c.Status, statusShard(c.ID)), sortableTime(c.CreatedAt) + "#" + c.ID
}

// ListByStatus returns up to limit customers of a store with a status,
// newest first, after the cursor of an earlier page. The index is
// eventually consistent: a customer written a moment ago may not be listed
// yet.
func (s *Store) ListByStatus(ctx context.Context, storeID string, st customer.Status, limit int, cursor string) (admin.Page, error) {
	before, ok := keys.FromCursor(cursor)
	if !ok {
		return admin.Page{}, admin.ErrBadCursor
	}
	index, keyAttr, partitions := IndexByStatus, AttrStatusKey, []string{}
	if st == customer.Undeliverable {
		index, keyAttr, partitions = IndexUndeliverable, AttrUndeliverableKey, []string{storeID}
	} else {
		for shard := range StatusShards {
			partitions = append(partitions, statusKey(storeID, st, shard))
		}
	}
	var all []customerItem
	for _, partition := range partitions {
		in := &dynamodb.QueryInput{TableName: aws.String(s.table), IndexName: aws.String(index),
			KeyConditionExpression:    aws.String("#k = :k"),
			ExpressionAttributeNames:  map[string]string{"#k": keyAttr},
			ExpressionAttributeValues: map[string]types.AttributeValue{":k": str(partition)},
			ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit + 1))}
		if before != "" {
			in.KeyConditionExpression = aws.String("#k = :k AND #s < :b")
			in.ExpressionAttributeNames["#s"] = AttrStatusSort
			in.ExpressionAttributeValues[":b"] = str(before)
		}
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return admin.Page{}, unavailable("Query", err)
		}
		for _, item := range out.Items {
			var it customerItem
			if err := unmarshal(item, &it); err != nil {
				return admin.Page{}, err
			}
			all = append(all, it)
		}
	}
	slices.SortFunc(all, func(a, b customerItem) int { return strings.Compare(b.StatusSort, a.StatusSort) })
	page := admin.Page{}
	for i, it := range all {
		if i == limit {
			page.Cursor = keys.Cursor(all[i-1].StatusSort)
			break
		}
		page.Customers = append(page.Customers, it.customer())
	}
	return page, nil
}

// ActivityPage returns up to limit entries of a customer's activity log
// (its ACTIVITY# items), newest first, after the cursor of an earlier page.
func (s *Store) ActivityPage(ctx context.Context, customerID string, limit int, cursor string) (admin.ActivityPage, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :a)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(customerPK(customerID)), ":a": str(keys.SKActivity)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit))}
	after, ok := keys.FromCursor(cursor)
	if !ok || (after != "" && !strings.HasPrefix(after, keys.SKActivity)) {
		return admin.ActivityPage{}, admin.ErrBadCursor
	}
	if after != "" {
		in.ExclusiveStartKey = keyOf(customerPK(customerID), after)
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return admin.ActivityPage{}, unavailable("Query", err)
	}
	var p admin.ActivityPage
	for _, item := range out.Items {
		var it activityItem
		if err := unmarshal(item, &it); err != nil {
			return admin.ActivityPage{}, err
		}
		p.Entries = append(p.Entries, customer.Activity{CustomerID: it.CustomerID, Type: customer.ActivityType(it.Activity),
			At: parseTime(it.At), Detail: it.Detail})
	}
	if sk, ok := out.LastEvaluatedKey[AttrSK].(*types.AttributeValueMemberS); ok && len(out.Items) == limit {
		p.Cursor = keys.Cursor(sk.Value)
	}
	return p, nil
}
