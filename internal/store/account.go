package store

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/store/keys"
)

// Update writes one change of an account in one transaction; see
// account.Update. The customer item is replaced on the condition that its
// updatedAt is still the one read; its login keys follow.
func (s *Store) Update(ctx context.Context, u account.Update) error {
	before, after := u.Before, u.After
	t := s.newTx()
	oldEmail := customer.NormalizeLogin(before.Email)
	oldUsername := ""
	if before.Username != "" {
		oldUsername = customer.NormalizeLogin(before.Username)
	}
	deleted := after.Status == customer.Deleted
	newEmail, newUsername := "", ""
	if !deleted {
		newEmail = customer.NormalizeLogin(after.Email)
		if after.Username != "" {
			newUsername = customer.NormalizeLogin(after.Username)
		}
	}
	t.put(newCustomerItem(after, newEmail, newUsername), "updatedAt = :prev",
		map[string]types.AttributeValue{":prev": str(formatTime(before.UpdatedAt))})
	owned := map[string]types.AttributeValue{":cid": str(before.ID)}
	release := func(pk string) {
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKKey),
			ConditionExpression: aws.String("customerId = :cid"), ExpressionAttributeValues: owned}})
	}
	emailAt := -1
	switch {
	case deleted:
		release(emailPK(oldEmail))
		if oldUsername != "" {
			release(usernamePK(oldUsername))
		}
	case newEmail != oldEmail:
		release(emailPK(oldEmail))
		emailAt = t.put(loginKey(emailPK(newEmail), after), keyFree,
			map[string]types.AttributeValue{":now": num(s.now().Unix())})
		if newUsername != "" {
			t.add(s.loginView(usernamePK(newUsername), after))
		}
	case viewChanged(before, after):
		for _, pk := range loginKeys(after) {
			t.add(s.loginView(pk, after))
		}
	}
	if u.Activity != nil {
		t.logged(*u.Activity, u.Outbox)
	} else {
		t.outbox(u.Outbox)
	}
	t.subscriptions(u.Subscriptions, u.DropSubscriptions)
	for _, cr := range u.DropConsents {
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table),
			Key: keyOf(customerPK(cr.CustomerID), consentSK(cr))}})
	}
	sessionAt := -1
	if !u.Session.IsZero() {
		// The session the change was asked in must still exist: a
		// sign-out that came first voids the change.
		sessionAt = t.add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
			Key: sessionKey(u.Session), ConditionExpression: aws.String("attribute_exists(PK)")}})
	}
	t.events(u.Events)
	codes, err := t.run(ctx)
	switch {
	case err == nil:
		return nil
	case failedAt(codes, sessionAt):
		return account.ErrSessionGone
	case emailAt >= 0 && failedAt(codes, emailAt):
		return account.ErrEmailTaken
	case hasReason(codes, "ConditionalCheckFailed"):
		return account.ErrConflict
	}
	return unavailable("TransactWriteItems", err)
}

// viewChanged reports whether a change touches what the login keys carry.
func viewChanged(before, after customer.Customer) bool {
	return before.PasswordHash != after.PasswordHash || before.Status != after.Status ||
		before.StoreID != after.StoreID || before.Language != after.Language || !before.ExpiresAt.Equal(after.ExpiresAt) ||
		!before.RecoveredAt.Equal(after.RecoveredAt)
}

// ClaimReset lets a reset job mail a link to an address unless another did
// within interval.
func (s *Store) ClaimReset(ctx context.Context, emailKey, jobID string, now time.Time, interval time.Duration) (bool, error) {
	return s.claimInterval(ctx, resetPK(emailKey), jobID, now, interval)
}

// partition reads every item of a customer's partition.
func (s *Store) partition(ctx context.Context, customerID string, each func(sk string, item map[string]types.AttributeValue) error) error {
	return s.query(ctx, customerPK(customerID), each)
}

// query reads every item of the partition pk.
func (s *Store) query(ctx context.Context, pk string, each func(sk string, item map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return unavailable("Query", err)
		}
		for _, item := range out.Items {
			sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
			if sk == nil {
				continue
			}
			if err := each(sk.Value, item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Records returns a customer's consent log, activity log and sessions,
// oldest first (their sort keys start with the time).
func (s *Store) Records(ctx context.Context, customerID string) (account.Records, error) {
	var r account.Records
	err := s.partition(ctx, customerID, func(sk string, item map[string]types.AttributeValue) error {
		switch {
		case strings.HasPrefix(sk, keys.SKConsent):
			var it consentItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			r.Consents = append(r.Consents, customer.ConsentRecord{CustomerID: it.CustomerID, ConsentID: it.ConsentID,
				Agreed: it.Agreed, Message: it.Message, At: parseTime(it.At)})
		case strings.HasPrefix(sk, keys.SKActivity):
			var it activityItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			r.Activity = append(r.Activity, customer.Activity{CustomerID: it.CustomerID,
				Type: customer.ActivityType(it.Activity), At: parseTime(it.At), Detail: it.Detail})
		case strings.HasPrefix(sk, keys.SKSession):
			var it sessionItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			ss := it.session(strings.TrimPrefix(sk, keys.SKSession))
			if ss.ExpiresAt.After(s.now()) {
				r.Sessions = append(r.Sessions, ss)
			}
		}
		return nil
	})
	return r, err
}

// Sweep deletes an erased customer's sessions, activity entries and mails
// (the store owner's notices about them included), and the jobs that named
// the erased address (under its digest); the tombstone and the consent log
// stay. Deleting is idempotent, so a sweep that died half-way is simply
// run again.
func (s *Store) Sweep(ctx context.Context, customerID, addressDigest string) (int, error) {
	var doomed []map[string]types.AttributeValue
	err := s.partition(ctx, customerID, func(sk string, _ map[string]types.AttributeValue) error {
		if sk != keys.SKProfile && !strings.HasPrefix(sk, keys.SKConsent) {
			doomed = append(doomed, keyOf(customerPK(customerID), sk))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if addressDigest != "" {
		err = s.query(ctx, addressOutboxPK(addressDigest), func(sk string, _ map[string]types.AttributeValue) error {
			doomed = append(doomed, keyOf(addressOutboxPK(addressDigest), sk))
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	for _, key := range doomed {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key}); err != nil {
			return 0, unavailable("DeleteItem", err)
		}
	}
	return len(doomed), nil
}
