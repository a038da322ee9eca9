package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/cart"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/store/keys"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/throttle"
	"github.com/openreg/registration/internal/token"
)

// Throttle counters are items of their own, one per counter and window
// (the window is part of the key, see package throttle): THROTTLE# for the
// sign-in failure counters, RATE# for the per-client request limits. Each
// event is one conditional update: counted while under the limit (or, for a
// gated counter past its limit, once the gate is open), refused otherwise.

func counterPK(c throttle.Counter) string {
	if strings.HasPrefix(c.Kind, "signin-") {
		return keys.Throttle + c.Key
	}
	return keys.Rate + c.Key
}

// underLimit is the condition of counting one more event on a counter.
func underLimit(c throttle.Counter) (cond string, values map[string]types.AttributeValue) {
	cond = "attribute_not_exists(n) OR n < :max"
	values = map[string]types.AttributeValue{":max": num(int64(c.Max))}
	if c.Gate > 0 {
		cond += " OR gate <= :now"
		values[":now"] = num(c.Now.UnixMilli())
	}
	return cond, values
}

// countItem is the update that counts one event on c.
func (s *Store) countItem(c throttle.Counter) types.TransactWriteItem {
	cond, values := underLimit(c)
	set := "ADD n :one SET #ttl = :ttl, #type = :type"
	values[":one"] = num(1)
	values[":ttl"] = num(c.Ends.Unix() + 60)
	values[":type"] = str("throttle")
	if c.Gate > 0 {
		set += ", gate = :next"
		values[":next"] = num(c.Now.Add(c.Gate).UnixMilli())
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.table), Key: keyOf(counterPK(c), keys.SKCount),
		UpdateExpression: aws.String(set), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames:            map[string]string{"#ttl": AttrTTL, "#type": "type"},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// checkItem only checks a counter is under its limit.
func (s *Store) checkItem(c throttle.Counter) types.TransactWriteItem {
	cond, values := underLimit(c)
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(s.table), Key: keyOf(counterPK(c), keys.SKCount),
		ConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// clearItem removes a login's counter after a right password, on
// checkItem's condition: a locked counter stays locked.
func (s *Store) clearItem(c throttle.Counter) types.TransactWriteItem {
	ck := s.checkItem(c).ConditionCheck
	return types.TransactWriteItem{Delete: &types.Delete{TableName: ck.TableName, Key: ck.Key,
		ConditionExpression: ck.ConditionExpression, ExpressionAttributeValues: ck.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: ck.ReturnValuesOnConditionCheckFailure}}
}

func exceeded(c throttle.Counter, old map[string]types.AttributeValue) error {
	ex := &throttle.Exceeded{Counter: c}
	if g, ok := old["gate"].(*types.AttributeValueMemberN); ok {
		var it struct {
			Gate int64 `dynamodbav:"gate"`
		}
		if unmarshal(map[string]types.AttributeValue{"gate": g}, &it) == nil {
			ex.GateOpens = fromMillis(it.Gate)
		}
	}
	return ex
}

// cancelItem returns the old item a cancelled transaction reported for
// position i, if any.
func cancelItem(err error, i int) map[string]types.AttributeValue {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && i < len(tc.CancellationReasons) {
		return tc.CancellationReasons[i].Item
	}
	return nil
}

// Count counts one event on c, in one UpdateItem (single); see
// verification.Counters.
func (s *Store) Count(ctx context.Context, c throttle.Counter) error {
	err := s.single(ctx, s.countItem(c))
	switch {
	case cancelReasons(err) != nil: // the counter's condition failed
		return exceeded(c, cancelItem(err, 0))
	case err != nil:
		return unavailable("UpdateItem", err)
	}
	return nil
}

// SignInFailed counts a failed sign-in on every counter and stores its
// record, in one transaction.
func (s *Store) SignInFailed(ctx context.Context, a account.SignIn) error {
	codes, devAt, err := s.signInFailed(ctx, a)
	if a.DeviceFailed != nil && failedAt(codes, devAt) {
		// The login's key went (an erasure, an address change) since it
		// was read: the failure counts without its device.
		a.DeviceFailed = nil
		_, _, err = s.signInFailed(ctx, a)
	}
	return s.attemptErr(err)
}

func (s *Store) signInFailed(ctx context.Context, a account.SignIn) (codes []string, devAt int, err error) {
	t := s.newTx()
	for i := range a.Counters {
		t.count(&a.Counters[i])
	}
	if a.Activity != nil {
		t.activity(*a.Activity)
	}
	if a.Job != nil {
		t.outbox([]outbox.Message{*a.Job})
	}
	if a.Login != "" {
		t.put(s.newAttemptItem(a), "", nil)
	}
	devAt = -1
	if d := a.DeviceFailed; d != nil {
		devAt = t.add(s.deviceItem(d, "ADD #f :one", map[string]types.AttributeValue{":one": num(1)}))
	}
	codes, err = t.run(ctx)
	return codes, devAt, err
}

// deviceItem is an update of the device d on its login's key, on the
// condition that the key is still a customer's (an update never creates a
// key). #d names the device's issue time, #f its failures.
func (s *Store) deviceItem(d *account.DeviceRecord, expr string, values map[string]types.AttributeValue) types.TransactWriteItem {
	pk := emailPK(d.Key)
	if d.Kind == "username" {
		pk = usernamePK(d.Key)
	}
	names := map[string]string{}
	for ph, name := range map[string]string{"#d": attrDevice + d.ID, "#f": attrDeviceFail + d.ID,
		"#ed": attrDevice + d.Evict, "#ef": attrDeviceFail + d.Evict} {
		if strings.Contains(expr, ph) {
			names[ph] = name
		}
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table), Key: keyOf(pk, keys.SKKey),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(customerId)"),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values}}
}

// attemptRetention is how long a failed sign-in on a login without an
// account is kept, for operators looking into an attack.
const attemptRetention = 30 * 24 * time.Hour

// attemptItem records a failed sign-in on a login that has no account, under
// LOGIN#<digest of the login>. The digest is unsalted: whoever reads the
// table can tell whether a login they know was tried (and from where) in the
// last 30 days, not what was tried; a keyed digest needs a deployment secret
// the stack does not have yet.
type attemptItem struct {
	head
	At       string `dynamodbav:"at"`
	SourceIP string `dynamodbav:"sourceIp,omitempty"`
	TTL      int64  `dynamodbav:"ttl"`
}

func (s *Store) newAttemptItem(a account.SignIn) attemptItem {
	return attemptItem{head: head{keys.Login + token.Digest(a.Login)[:32], keys.SKAttempt + sortableTime(a.At) + "#" + s.suffix(), "attempt"},
		At: formatTime(a.At), SourceIP: a.SourceIP, TTL: a.At.Add(attemptRetention).Unix()}
}

// SignInSucceeded checks every counter, clears the login's, counts the
// client's request, and stores the session and the activity entry, in one
// transaction.
func (s *Store) SignInSucceeded(ctx context.Context, a account.SignIn) error {
	codes, devAt, err := s.signInSucceeded(ctx, a)
	if a.Device != nil && failedAt(codes, devAt) && !errors.Is(err, account.ErrCodeUsed) && !errors.Is(err, account.ErrChallengeUsed) {
		// The login's key went since it was read: sign in without
		// recording the device.
		a.Device = nil
		_, _, err = s.signInSucceeded(ctx, a)
	}
	if errors.Is(err, cart.ErrHandOverConflict) || errors.Is(err, account.ErrCodeUsed) || errors.Is(err, account.ErrChallengeUsed) {
		return err
	}
	return s.attemptErr(err)
}

func (s *Store) signInSucceeded(ctx context.Context, a account.SignIn) (codes []string, devAt int, err error) {
	t := s.newTx()
	for _, c := range a.Counters {
		switch c.Kind {
		case throttle.SignInLoginClient, throttle.SignInLogin, throttle.SignInDevice:
			t.counters[t.add(s.clearItem(c))] = c
		case throttle.SignInClient:
			t.counters[t.add(s.checkItem(c))] = c
		default:
			t.counters[t.add(s.countItem(c))] = c
		}
	}
	if a.Session != nil {
		t.put(newSessionItem(*a.Session), notExists, nil)
	}
	if a.Activity != nil {
		var notices []outbox.Message
		if a.Notice != nil {
			notices = append(notices, *a.Notice)
		}
		t.logged(*a.Activity, notices)
	}
	t.events(a.Events)
	devAt, codeAt := -1, -1
	if d := a.Device; d != nil {
		// A new device (evicting the oldest), or a trusted one whose
		// failures start afresh.
		expr, values := "SET #d = :at", map[string]types.AttributeValue{":at": num(d.IssuedAt.Unix())}
		if d.Noticed {
			expr += ", noticedAt = :n"
			values[":n"] = str(formatTime(a.At))
		}
		expr += " REMOVE #f"
		if d.Evict != "" {
			expr += ", #ed, #ef"
		}
		item := s.deviceItem(d, expr, values)
		if u := a.Code; u != nil && d.Kind == "email" && d.Key == u.EmailKey {
			// One write per item in a transaction: the code is spent in
			// the device's update of the same key.
			up := item.Update
			up.UpdateExpression = aws.String(*up.UpdateExpression + ", signInCode")
			up.ConditionExpression = aws.String(*up.ConditionExpression + " AND signInCode.digest = :cd")
			up.ExpressionAttributeValues[":cd"] = str(u.Digest)
			codeAt = len(t.items)
		}
		devAt = t.add(item)
	}
	if u := a.Code; u != nil && codeAt < 0 {
		codeAt = t.add(types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.table),
			Key: keyOf(emailPK(u.EmailKey), keys.SKKey), UpdateExpression: aws.String("REMOVE signInCode"),
			ConditionExpression:       aws.String("signInCode.digest = :d"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": str(u.Digest)}}})
	}
	// A passkey's challenge and credential are items of their own: no
	// other part of the write touches them.
	challengeAt, credentialAt := -1, -1
	if u := a.Passkey; u != nil {
		challengeAt, credentialAt = t.passkeyUse(u)
	}
	gi, ci := t.handOver(a.HandOver)
	codes, err = t.run(ctx)
	if gi >= 0 && (failedAt(codes, gi) || failedAt(codes, ci)) {
		return codes, devAt, cart.ErrHandOverConflict
	}
	if codeAt >= 0 && failedAt(codes, codeAt) {
		return codes, devAt, account.ErrCodeUsed
	}
	if failedAt(codes, challengeAt) || failedAt(codes, credentialAt) {
		return codes, devAt, account.ErrChallengeUsed
	}
	return codes, devAt, err
}

func (s *Store) attemptErr(err error) error {
	var ex *throttle.Exceeded
	var ae *apperr.Error
	if err == nil || errors.As(err, &ex) || errors.As(err, &ae) {
		return err
	}
	return unavailable("TransactWriteItems", err)
}

// Failures returns how many events c holds in its window (0 for a counter
// never counted); see signin.Store.
func (s *Store) Failures(ctx context.Context, c throttle.Counter) (int, error) {
	var it struct {
		N int `dynamodbav:"n"`
	}
	if _, err := s.get(ctx, counterPK(c), keys.SKCount, &it); err != nil {
		return 0, err
	}
	return it.N, nil
}
