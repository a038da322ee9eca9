package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/store/keys"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/throttle"
)

// tx collects the items of one transaction and remembers which item stands
// for what, to read a cancellation.
type tx struct {
	s     *Store
	items []types.TransactWriteItem
	err   error
	// counters maps item positions to the throttle counters they apply.
	counters map[int]throttle.Counter
}

func (s *Store) newTx() *tx { return &tx{s: s, counters: map[int]throttle.Counter{}} }

// put adds a Put of item on cond (none when empty) and returns its position.
func (t *tx) put(item any, cond string, values map[string]types.AttributeValue) int {
	ti, err := t.s.put(item, cond)
	if err != nil {
		t.err = errors.Join(t.err, err)
		return -1
	}
	if len(values) > 0 {
		ti.Put.ExpressionAttributeValues = values
	}
	if strings.Contains(cond, "#ttl") {
		ti.Put.ExpressionAttributeNames = map[string]string{"#ttl": AttrTTL}
	}
	t.items = append(t.items, ti)
	return len(t.items) - 1
}

func (t *tx) add(item types.TransactWriteItem) int {
	t.items = append(t.items, item)
	return len(t.items) - 1
}

// ok reports whether err is nil; an error (an item that cannot be encoded)
// fails the transaction as an internal error.
func (t *tx) ok(err error) bool {
	if err != nil {
		t.err = errors.Join(t.err, apperr.Wrap(apperr.Internal, "Internal error.", err))
	}
	return err == nil
}

func (t *tx) outbox(msgs []outbox.Message) {
	for _, m := range msgs {
		if oi, err := newOutboxItem(m); t.ok(err) {
			t.put(oi, notExists, nil)
		}
	}
}

// events adds a change's events. Each rides on an item the change inserts
// anyway (a new customer, session, activity entry or mail) that carries no
// event yet, so it costs no item of its own; only what is left over gets an
// event item. Call it after the change's other items.
func (t *tx) events(evs []event.Event) {
	for _, e := range evs {
		it, err := newEventItem(e)
		if !t.ok(err) {
			continue
		}
		if c := t.carrier(); c != nil {
			c.Put.Item[AttrEventType], c.Put.Item[AttrOutboxEvent] = str(it.EventType), str(it.Detail)
			continue
		}
		t.put(it, notExists, nil)
	}
}

// carrier is a small item of the transaction that is surely inserted (a put
// on the condition that the item does not exist, or an activity entry,
// whose key is new) and carries no event yet: the stream shows it as an
// INSERT, which the events Pipe forwards. Not the customer item: it is
// rewritten by every change of the account, and the event would be carried
// (and paid for) in each. Nor a passkey, rewritten by each of its sign-ins.
func (t *tx) carrier() *types.TransactWriteItem {
	for i := range t.items {
		p := t.items[i].Put
		if p == nil {
			continue
		}
		if _, has := p.Item[AttrOutboxEvent]; has {
			continue
		}
		kind, _ := p.Item[AttrType].(*types.AttributeValueMemberS)
		switch {
		case kind != nil && (kind.Value == "customer" || kind.Value == "passkey"):
		case aws.ToString(p.ConditionExpression) == notExists, kind != nil && kind.Value == "activity":
			return &t.items[i]
		}
	}
	return nil
}

func (t *tx) activity(a customer.Activity) {
	if a.CustomerID != "" {
		t.put(t.s.newActivityItem(a), "", nil)
	}
}

// logged adds the activity entry of an event and the mails it causes: the
// first mail rides on the entry (an item the write inserts anyway, so it
// costs no item of its own), the others are outbox items.
func (t *tx) logged(a customer.Activity, msgs []outbox.Message) {
	if a.CustomerID == "" || len(msgs) == 0 {
		t.activity(a)
		t.outbox(msgs)
		return
	}
	item := t.s.newActivityItem(a)
	item.Message = t.encode(msgs[0])
	t.put(item, "", nil)
	t.outbox(msgs[1:])
}

// session adds a session. It carries no mail: a session is deleted at
// sign-out, and a mail the Pipe could not deliver must stay in the table
// for a redrive (see outbox.go).
func (t *tx) session(ss *session.Session) {
	if ss != nil {
		t.put(newSessionItem(*ss), notExists, nil)
	}
}

func (t *tx) encode(m outbox.Message) string {
	body, err := m.Encode()
	t.ok(err)
	return body
}

// accountEvent reports whether a is one of the account's own entries, kept
// on the customer item (see customerItem.Registered).
func accountEvent(a customer.Activity) bool { return a.Type == customer.ActivityRegistered }

// consentSK is the sort key of a consent log entry.
func consentSK(cr customer.ConsentRecord) string {
	return keys.SKConsent + sortableTime(cr.At) + "#" + cr.ConsentID
}

func (t *tx) consents(log []customer.ConsentRecord) {
	for _, cr := range log {
		t.put(consentItem{head: head{customerPK(cr.CustomerID), consentSK(cr), "consent"}, CustomerID: cr.CustomerID, ConsentID: cr.ConsentID, Agreed: cr.Agreed,
			Message: cr.Message, At: formatTime(cr.At)}, "", nil)
	}
}

func (t *tx) revoke(r session.Ref) {
	if !r.IsZero() {
		t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.s.table), Key: sessionKey(r)}})
	}
}

// count adds a throttle counter that counts one event.
func (t *tx) count(c *throttle.Counter) {
	if c != nil {
		t.counters[t.add(t.s.countItem(*c))] = *c
	}
}

// run commits the transaction; a counter over its limit comes back as
// *throttle.Exceeded, other cancellations as their reason codes.
func (t *tx) run(ctx context.Context) ([]string, error) {
	if t.err != nil {
		return nil, t.err
	}
	if len(t.items) == 0 {
		return nil, nil // nothing to write
	}
	var err error
	if len(t.items) == 1 {
		err = t.s.single(ctx, t.items[0])
	} else {
		err = t.s.transact(ctx, t.items)
	}
	if err == nil {
		return nil, nil
	}
	codes := cancelReasons(err)
	if codes == nil {
		return nil, unavailable("TransactWriteItems", err)
	}
	for i, c := range t.counters {
		if i < len(codes) && codes[i] == "ConditionalCheckFailed" {
			return codes, exceeded(c, cancelItem(err, i))
		}
	}
	return codes, err
}

func failedAt(codes []string, i int) bool {
	return i >= 0 && i < len(codes) && codes[i] == "ConditionalCheckFailed"
}

// refusal is what it means when the item at position at (-1: none) fails
// its condition.
type refusal struct {
	at  int
	err error
}

// commit runs the transaction and reads a refusal: the error of the first
// of refusals whose item failed its condition, else conflict (unless nil)
// when any item did. Every other failure is unavailable.
func (t *tx) commit(ctx context.Context, conflict error, refusals ...refusal) error {
	codes, err := t.run(ctx)
	if err == nil {
		return nil
	}
	for _, r := range refusals {
		if failedAt(codes, r.at) {
			return r.err
		}
	}
	if conflict != nil && hasReason(codes, "ConditionalCheckFailed") {
		return conflict
	}
	return unavailable("TransactWriteItems", err)
}

// CreateAccount writes a Standard registration in one transaction. The email
// and username keys are conditional puts, so of any number of concurrent
// registrations of one address exactly one succeeds.
func (s *Store) CreateAccount(ctx context.Context, acc account.Creation) error {
	c := acc.Customer
	t := s.newTx()
	item := newCustomerItem(c, acc.EmailKey, acc.UsernameKey)
	activity := acc.Activity
	if accountEvent(activity) {
		item.Registered, activity = newEventRecord(activity), customer.Activity{}
	}
	t.put(item, notExists, nil)
	importedIdx := -1
	if acc.ExternalKey != "" {
		importedIdx = t.put(keyItem{head: head{keys.Imported + acc.ExternalKey, keys.SKKey, "imported"}, CustomerID: c.ID}, notExists, nil)
	}
	emailIdx := t.claim(loginKey(emailPK(acc.EmailKey), c))
	usernameIdx := -1
	if acc.UsernameKey != "" {
		usernameIdx = t.claim(loginKey(usernamePK(acc.UsernameKey), c))
	}
	t.session(acc.Session)
	t.consents(acc.Consents)
	t.subscriptions(acc.Subscriptions, nil)
	t.logged(activity, acc.Outbox)
	t.events(acc.Events)
	handGuest, handCart := t.handOver(acc.HandOver)
	t.revoke(acc.RevokeSession)
	t.count(acc.Limit)
	// The username is checked before the address: a username's answer must
	// not depend on the email's.
	return t.commit(ctx, nil, refusal{handGuest, cart.ErrHandOverConflict}, refusal{handCart, cart.ErrHandOverConflict},
		refusal{importedIdx, account.ErrAlreadyImported}, refusal{usernameIdx, account.ErrUsernameTaken}, refusal{emailIdx, account.ErrEmailTaken})
}

// Submit writes a pending registration carrying the job that completes it,
// the reservation of its username, the end of the request's session and the
// client's counter, in one write.
func (s *Store) Submit(ctx context.Context, sub registration.Submission) error {
	p := sub.Pending
	job, err := sub.Job.Encode()
	if err != nil {
		return apperr.Wrap(apperr.Internal, "Internal error.", err)
	}
	item := newPendingItem(p)
	item.Message = job
	t := s.newTx()
	t.put(item, notExists, nil)
	usernameIdx := -1
	if p.UsernameKey != "" {
		// Reserved now, whatever the address turns out to be, and for as
		// long as an unverified account would hold it: whether the
		// username's first claim became an account never shows.
		usernameIdx = t.claim(keyItem{head: head{usernamePK(p.UsernameKey), keys.SKKey, "username"}, RegistrationID: p.ID,
			TTL: p.ExpiresAt.Unix()})
	}
	t.revoke(sub.RevokeSession)
	t.count(sub.Limit)
	return t.commit(ctx, nil, refusal{usernameIdx, account.ErrUsernameTaken})
}

// PendingRegistration returns a pending (or completed) registration.
func (s *Store) PendingRegistration(ctx context.Context, id string) (registration.Pending, error) {
	it, err := getItem[pendingItem](ctx, s, pendingPK(id), keys.SKPending, registration.ErrNotFound)
	if err != nil {
		return registration.Pending{}, err
	}
	return it.pending(), nil
}

// Complete writes the completion of a pending registration in one
// transaction; see registration.Completion.
func (s *Store) Complete(ctx context.Context, c registration.Completion) error {
	p := c.Registration
	t := s.newTx()
	// The outcome replaces the pending item: its personal data goes; what
	// GET /v1/registrations/{id} reads stays (its time and job).
	t.put(pendingItem{head: head{pendingPK(p.ID), keys.SKPending, "registration"}, ID: p.ID, AccountID: p.AccountID, JobID: p.JobID,
		CreatedAt: formatTime(p.CreatedAt), ExpiresAt: p.ExpiresAt.Unix(),
		Outcome: string(c.Outcome), CustomerID: c.Customer.ID, TTL: p.ExpiresAt.Unix()},
		"attribute_exists(PK) AND attribute_not_exists(outcome)", nil)
	cust := c.Customer
	emailKey, usernameKey := loginNames(cust)
	claimUsername := func() {
		if usernameKey != "" {
			t.put(loginKey(usernamePK(usernameKey), cust),
				"registrationId = :rid", map[string]types.AttributeValue{":rid": str(p.ID)})
		}
	}
	activity := c.Activity
	switch c.Outcome {
	case registration.Created:
		item := newCustomerItem(cust, emailKey, usernameKey)
		if accountEvent(activity) {
			item.Registered, activity = newEventRecord(activity), customer.Activity{}
		}
		t.put(item, notExists, nil)
		t.claim(loginKey(emailPK(emailKey), cust))
		claimUsername()
	case registration.Replaced:
		prev := c.Previous
		// The account's own registration entry outlives the replacement
		// (which logs its own entry).
		cust.Registered = prev.Registered
		item := newCustomerItem(cust, emailKey, usernameKey)
		// Over the account as read, and only by a registration received
		// after the one it holds (the newest registration wins).
		t.put(item, "#status = :unverified AND updatedAt = :prev AND (attribute_not_exists(receivedAt) OR receivedAt <= :received)",
			map[string]types.AttributeValue{":unverified": str(string(customer.Unverified)), ":prev": str(formatTime(prev.UpdatedAt)),
				":received": num(cust.ReceivedAt.UnixNano())})
		t.items[len(t.items)-1].Put.ExpressionAttributeNames = map[string]string{"#status": "status"}
		t.add(s.loginView(emailPK(emailKey), cust))
		_, prevUsername := loginNames(*prev)
		switch {
		case usernameKey != "" && usernameKey == prevUsername:
			t.add(s.loginView(usernamePK(usernameKey), cust))
		default:
			claimUsername()
			if prevUsername != "" {
				t.release(usernamePK(prevUsername), cust.ID)
			}
		}
	}
	t.consents(c.Consents)
	t.subscriptions(c.Subscriptions, nil)
	t.logged(activity, c.Outbox)
	t.events(c.Events)
	t.handOver(c.HandOver)
	return t.commit(ctx, registration.ErrConflict)
}

// Customer returns a customer by id, or customer.ErrNotFound.
func (s *Store) Customer(ctx context.Context, id string) (customer.Customer, error) {
	it, err := getItem[customerItem](ctx, s, customerPK(id), keys.SKProfile, customer.ErrNotFound)
	if err != nil {
		return customer.Customer{}, err
	}
	return it.customer(), nil
}

// UpdatePasswordHash replaces c's password hash, on c and its login keys,
// and stores a, in one transaction, if it is still c.PasswordHash, so two concurrent upgrades
// cannot overwrite a password change.
func (s *Store) UpdatePasswordHash(ctx context.Context, c customer.Customer, new string, a customer.Activity) error {
	t := s.newTx()
	t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(customerPK(c.ID), keys.SKProfile),
		UpdateExpression:    aws.String("SET passwordHash = :new, updatedAt = :now"),
		ConditionExpression: aws.String("passwordHash = :old"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new": str(new), ":old": str(c.PasswordHash), ":now": str(formatTime(s.now())),
		}}})
	// The login keys take the new hash only, and only while they hold the
	// old one: their status and the rest of their view stay whatever the
	// account's latest write made them.
	for _, pk := range loginKeys(c) {
		t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKKey),
			UpdateExpression:    aws.String("SET passwordHash = :new"),
			ConditionExpression: aws.String("customerId = :cid AND passwordHash = :old"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": str(new), ":old": str(c.PasswordHash), ":cid": str(c.ID)}}})
	}
	t.activity(a)
	return t.commit(ctx, fmt.Errorf("store: password hash of %s changed meanwhile", c.ID))
}

// Enqueue stores a job in the outbox with the client's count, in one
// transaction; see verification.Jobs.
func (s *Store) Enqueue(ctx context.Context, job outbox.Message, limit *throttle.Counter) error {
	t := s.newTx()
	t.outbox([]outbox.Message{job})
	t.count(limit)
	_, err := t.run(ctx)
	return s.attemptErr(err)
}
