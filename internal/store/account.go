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
	oldEmail, _ := loginNames(before)
	deleted := after.Status == customer.Deleted
	newEmail, newUsername := "", ""
	if !deleted {
		newEmail, newUsername = loginNames(after)
	}
	t.put(newCustomerItem(after, newEmail, newUsername), "updatedAt = :prev",
		map[string]types.AttributeValue{":prev": str(formatTime(before.UpdatedAt))})
	emailAt := -1
	switch {
	case deleted:
		for _, pk := range loginKeys(before) {
			t.release(pk, before.ID)
		}
	case newEmail != oldEmail:
		t.release(emailPK(oldEmail), before.ID)
		emailAt = t.claim(loginKey(emailPK(newEmail), after))
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
	t.dropPasskeys(after.ID, u.DropPasskeys)
	if u.LiftSuppression != "" {
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table),
			Key: keyOf(suppressPK(u.LiftSuppression), keys.SKSuppress)}})
	}
	sessionAt := -1
	if !u.Session.IsZero() {
		// The session the change was asked in must still exist: a
		// sign-out that came first voids the change.
		sessionAt = t.add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
			Key: sessionKey(u.Session), ConditionExpression: aws.String("attribute_exists(PK)")}})
	}
	t.events(u.Events)
	return t.commit(ctx, account.ErrConflict, refusal{sessionAt, account.ErrSessionGone}, refusal{emailAt, account.ErrEmailTaken})
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
	return s.query(ctx, customerPK(customerID), "", each)
}

// query reads, in consistent Queries, every item of the partition pk whose
// sort key starts with skPrefix ("": every item).
func (s *Store) query(ctx context.Context, pk, skPrefix string, each func(sk string, item map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}}
	if skPrefix != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :sk)")
		in.ExpressionAttributeValues[":sk"] = str(skPrefix)
	}
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

// Sweep deletes an erased customer's sessions, passkeys, activity entries
// and mails (the store owner's notices about them included), and the jobs
// that named the erased address (under its digest); the tombstone and the
// consent log stay. Deleting is idempotent, so a sweep that died half-way is simply
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
		err = s.query(ctx, addressOutboxPK(addressDigest), "", func(sk string, _ map[string]types.AttributeValue) error {
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
