package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/event"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/passkey"
	"github.com/openreg/registration/internal/session"
	"github.com/openreg/registration/internal/verification"
)

// credential is a passkey of customerID with every field set (odd bytes,
// nanoseconds), to see that all of them round-trip.
func credential(customerID string, id byte, now time.Time) passkey.Credential {
	return passkey.Credential{ID: []byte{id, 0x00, 0xff, 0xfb, 0x7f}, CustomerID: customerID,
		PublicKey: []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x00}, Algorithm: -7, SignCount: 7,
		AAGUID: "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", Transports: []string{"internal", "hybrid"},
		BackupEligible: true, BackupState: false, Name: "Ada's laptop ✓",
		CreatedAt: now.Add(123456789), LastUsedAt: now.Add(987654321), AddedBySession: "s1"}
}

func registrationChallenge(customerID, digest string, now time.Time) passkey.Challenge {
	return passkey.Challenge{ID: "reg-" + digest, Digest: digest, Purpose: passkey.PurposeRegister, RPID: "shop.example",
		CustomerID: customerID, ExpiresAt: now.Add(passkey.ChallengeLifetime + 42)}
}

func signInChallenge(id string, now time.Time) passkey.Challenge {
	return passkey.Challenge{ID: id, Digest: "digest-" + id, Purpose: passkey.PurposeSignIn, RPID: "shop.example",
		ExpiresAt: now.Add(passkey.ChallengeLifetime + 42)}
}

func passkeyContract(t *testing.T, fresh func(t *testing.T) (Store, *Clock)) {
	ctx := context.Background()
	// adding is the write that adds cred after its registration ceremony.
	adding := func(cred passkey.Credential, now time.Time) account.PasskeyAdd {
		return account.PasskeyAdd{Credential: cred,
			Activity: customer.Activity{CustomerID: cred.CustomerID, Type: "passkey_added", At: now},
			Notice: outbox.New("notice-"+cred.IDText(), now, outbox.Recipient{Email: "pk@example.com", CustomerID: cred.CustomerID},
				verification.ResendJob{Email: "pk@example.com"}),
			Events: []event.Event{{ID: "e-" + cred.IDText(), Type: "customer.passkey_added", CustomerID: cred.CustomerID, StoreID: "default", At: now}}}
	}
	// added stores cred as a registration does.
	added := func(t *testing.T, s Store, clock *Clock, cred passkey.Credential) {
		t.Helper()
		if err := s.PutPasskeyChallenge(ctx, registrationChallenge(cred.CustomerID, "d-"+cred.IDText(), clock.Now())); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPasskey(ctx, adding(cred, clock.Now())); err != nil {
			t.Fatal(err)
		}
	}
	listed := func(t *testing.T, s Store, customerID string, want ...passkey.Credential) {
		t.Helper()
		got, err := s.Passkeys(ctx, customerID)
		if err != nil || len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("Passkeys(%s) = %+v, %v;\nwant %+v", customerID, got, err, want)
		}
	}

	t.Run("a registration challenge is kept under its customer, and a newer one replaces it", func(t *testing.T) {
		s, clock := fresh(t)
		if _, err := s.RegistrationChallenge(ctx, "c1"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("before any: %v, want customer.ErrNotFound", err)
		}
		first := registrationChallenge("c1", "first", clock.Now())
		if err := s.PutPasskeyChallenge(ctx, first); err != nil {
			t.Fatal(err)
		}
		if got, err := s.RegistrationChallenge(ctx, "c1"); err != nil || !reflect.DeepEqual(got, first) {
			t.Errorf("RegistrationChallenge = %+v, %v; want %+v", got, err, first)
		}
		second := registrationChallenge("c1", "second", clock.Now().Add(time.Second))
		if err := s.PutPasskeyChallenge(ctx, second); err != nil {
			t.Fatal(err)
		}
		if got, err := s.RegistrationChallenge(ctx, "c1"); err != nil || !reflect.DeepEqual(got, second) {
			t.Errorf("after a newer one: %+v, %v; want %+v", got, err, second)
		}
		if _, err := s.RegistrationChallenge(ctx, "c2"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("another customer's: %v, want customer.ErrNotFound", err)
		}
		// A sign-in challenge is no customer's registration.
		if err := s.PutPasskeyChallenge(ctx, signInChallenge("ch1", clock.Now())); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.RegistrationChallenge(ctx, "c1"); !reflect.DeepEqual(got, second) {
			t.Errorf("after a sign-in challenge: %+v, want %+v", got, second)
		}
	})

	t.Run("a passkey is added once, over its customer's registration challenge, and listed", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "pk@example.com", "", customer.Active, clock.Now()))
		cred := credential("c1", 1, clock.Now())
		if err := s.AddPasskey(ctx, adding(cred, clock.Now())); !errors.Is(err, account.ErrChallengeUsed) {
			t.Errorf("without a registration challenge: %v, want ErrChallengeUsed", err)
		}
		listed(t, s, "c1")
		added(t, s, clock, cred)
		listed(t, s, "c1", cred)
		if _, err := s.RegistrationChallenge(ctx, "c1"); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("the challenge after its use: %v, want customer.ErrNotFound", err)
		}
		if err := s.AddPasskey(ctx, adding(cred, clock.Now())); !errors.Is(err, account.ErrChallengeUsed) {
			t.Errorf("the same challenge again: %v, want ErrChallengeUsed", err)
		}
		// The same credential id over a fresh challenge: refused, and the
		// challenge stays (nothing was written).
		ch := registrationChallenge("c1", "again", clock.Now())
		if err := s.PutPasskeyChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		again := cred
		again.Name = "twice"
		if err := s.AddPasskey(ctx, adding(again, clock.Now())); !errors.Is(err, account.ErrPasskeyExists) {
			t.Errorf("a credential id stored already: %v, want ErrPasskeyExists", err)
		}
		if got, err := s.RegistrationChallenge(ctx, "c1"); err != nil || !reflect.DeepEqual(got, ch) {
			t.Errorf("the refused add spent the challenge: %+v, %v", got, err)
		}
		other := credential("c1", 2, clock.Now())
		other.Transports, other.Name, other.LastUsedAt, other.AddedBySession = nil, "", time.Time{}, ""
		if err := s.AddPasskey(ctx, adding(other, clock.Now())); err != nil {
			t.Fatal(err)
		}
		listed(t, s, "c1", cred, other)
		listed(t, s, "c2")
		r, err := s.Records(ctx, "c1")
		if err != nil || len(r.Activity) != 2 {
			t.Errorf("Records = %+v, %v; want the two adds' activity entries", r.Activity, err)
		}
	})

	t.Run("a passkey added in a session holds only while the session exists; an expired challenge adds nothing", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "pk@example.com", "", customer.Active, clock.Now()))
		sess := session.Session{Digest: "s1", CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour).Truncate(time.Second)}
		if err := s.SignInSucceeded(ctx, account.SignIn{Session: &sess}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutPasskeyChallenge(ctx, registrationChallenge("c1", "d1", clock.Now())); err != nil {
			t.Fatal(err)
		}
		a := adding(credential("c1", 1, clock.Now()), clock.Now())
		a.Session = sess.Ref()
		if err := s.AddPasskey(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.PutPasskeyChallenge(ctx, registrationChallenge("c1", "d2", clock.Now())); err != nil {
			t.Fatal(err)
		}
		if err := s.EndSession(ctx, sess.Ref(), customer.Activity{CustomerID: "c1", Type: customer.ActivitySignedOut, At: clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		b := adding(credential("c1", 2, clock.Now()), clock.Now())
		b.Session = sess.Ref()
		if err := s.AddPasskey(ctx, b); !errors.Is(err, account.ErrSessionGone) {
			t.Errorf("in a session signed out since: %v, want ErrSessionGone", err)
		}
		listed(t, s, "c1", a.Credential)
		b.Session = session.Ref{}
		clock.Advance(passkey.ChallengeLifetime + time.Second)
		if err := s.AddPasskey(ctx, b); !errors.Is(err, account.ErrChallengeUsed) {
			t.Errorf("over an expired challenge: %v, want ErrChallengeUsed", err)
		}
		listed(t, s, "c1", a.Credential)
	})

	t.Run("a passkey is removed once, with its activity entry", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "pk@example.com", "", customer.Active, clock.Now()))
		one, two := credential("c1", 1, clock.Now()), credential("c1", 2, clock.Now())
		added(t, s, clock, one)
		added(t, s, clock, two)
		a := customer.Activity{CustomerID: "c1", Type: "passkey_removed", At: clock.Now()}
		ev := []event.Event{{ID: "e-rm", Type: "customer.passkey_removed", CustomerID: "c1", StoreID: "default", At: clock.Now()}}
		if err := s.RemovePasskey(ctx, "c2", one.IDText(), a, nil); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("another customer's passkey: %v, want customer.ErrNotFound", err)
		}
		if err := s.RemovePasskey(ctx, "c1", one.IDText(), a, ev); err != nil {
			t.Fatal(err)
		}
		listed(t, s, "c1", two)
		if err := s.RemovePasskey(ctx, "c1", one.IDText(), a, nil); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("removing it again: %v, want customer.ErrNotFound", err)
		}
		r, err := s.Records(ctx, "c1")
		if err != nil || len(r.Activity) != 3 {
			t.Errorf("Records = %+v, %v; want two adds and one removal", r.Activity, err)
		}
	})

	t.Run("a passkey sign-in reads its challenge, the passkey and the customer together; any missing is not found", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "pk@example.com", "", customer.Active, clock.Now()))
		create(t, s, newAccount("c2", "other@example.com", "", customer.Active, clock.Now()))
		cred := credential("c1", 1, clock.Now())
		added(t, s, clock, cred)
		ch := signInChallenge("ch1", clock.Now())
		if err := s.PutPasskeyChallenge(ctx, ch); err != nil {
			t.Fatal(err)
		}
		gotCh, gotCred, c, err := s.PasskeySignIn(ctx, "ch1", "c1", cred.IDText())
		if err != nil || !reflect.DeepEqual(gotCh, ch) || !reflect.DeepEqual(gotCred, cred) || c.ID != "c1" || c.Email != "pk@example.com" {
			t.Fatalf("PasskeySignIn = %+v, %+v, %s, %v;\nwant %+v, %+v, c1", gotCh, gotCred, c.ID, err, ch, cred)
		}
		if err := s.PutPasskeyChallenge(ctx, registrationChallenge("c1", "reg", clock.Now())); err != nil {
			t.Fatal(err)
		}
		for _, miss := range []struct{ what, challenge, customer, credential string }{
			{"challenge", "nope", "c1", cred.IDText()},
			{"passkey", "ch1", "c1", credential("c1", 9, clock.Now()).IDText()},
			{"customer's passkey", "ch1", "c2", cred.IDText()},
			{"customer", "ch1", "c3", cred.IDText()},
			{"sign-in challenge (a registration's key)", "CUSTOMER#c1", "c1", cred.IDText()},
		} {
			if _, _, _, err := s.PasskeySignIn(ctx, miss.challenge, miss.customer, miss.credential); !errors.Is(err, customer.ErrNotFound) {
				t.Errorf("without its %s: %v, want customer.ErrNotFound", miss.what, err)
			}
		}
	})

	t.Run("a passkey sign-in spends its challenge and moves the counter, or writes nothing", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "pk@example.com", "", customer.Active, clock.Now()))
		cred := credential("c1", 1, clock.Now())
		added(t, s, clock, cred)
		for _, id := range []string{"ch1", "ch2"} {
			if err := s.PutPasskeyChallenge(ctx, signInChallenge(id, clock.Now())); err != nil {
				t.Fatal(err)
			}
		}
		exp := clock.Now().Add(time.Hour).Truncate(time.Second)
		used := cred
		used.SignCount, used.BackupState, used.LastUsedAt = 8, true, clock.Now().Add(time.Minute+5)
		sign := func(digest, challenge string, c passkey.Credential, prev uint32) (session.Session, error) {
			sess := session.Session{Digest: digest, CustomerID: "c1", CreatedAt: clock.Now(), ExpiresAt: exp}
			err := s.SignInSucceeded(ctx, account.SignIn{Session: &sess, At: clock.Now(),
				Activity: &customer.Activity{CustomerID: "c1", Type: customer.ActivitySignedIn, At: clock.Now()},
				Passkey:  &account.PasskeyUse{ChallengeID: challenge, Credential: c, PreviousCount: prev}})
			return sess, err
		}
		first, err := sign("s1", "ch1", used, cred.SignCount)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionOf(ctx, first.Ref()); err != nil {
			t.Errorf("the sign-in's session: %v", err)
		}
		listed(t, s, "c1", used)
		if _, _, _, err := s.PasskeySignIn(ctx, "ch1", "c1", cred.IDText()); !errors.Is(err, customer.ErrNotFound) {
			t.Errorf("the spent challenge: %v, want customer.ErrNotFound", err)
		}
		again := used
		again.SignCount = 9
		second, err := sign("s2", "ch1", again, used.SignCount)
		if !errors.Is(err, account.ErrChallengeUsed) {
			t.Errorf("the challenge again: %v, want ErrChallengeUsed", err)
		}
		if _, _, err := s.SessionOf(ctx, second.Ref()); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("the refused sign-in stored its session: %v", err)
		}
		third, err := sign("s3", "ch2", again, cred.SignCount)
		if !errors.Is(err, account.ErrChallengeUsed) {
			t.Errorf("over a stale counter: %v, want ErrChallengeUsed", err)
		}
		if _, _, err := s.SessionOf(ctx, third.Ref()); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("the refused sign-in stored its session: %v", err)
		}
		listed(t, s, "c1", used)
		// The refusal spent nothing: the challenge still signs in.
		if _, err := sign("s4", "ch2", again, used.SignCount); err != nil {
			t.Errorf("the unspent challenge over the current counter: %v", err)
		}
		listed(t, s, "c1", again)
		r, err := s.Records(ctx, "c1")
		if err != nil || len(r.Sessions) != 2 {
			t.Errorf("sessions %+v, %v; want the two sign-ins'", r.Sessions, err)
		}
	})

	t.Run("an update drops the passkeys it names, in its own write", func(t *testing.T) {
		s, clock := fresh(t)
		create(t, s, newAccount("c1", "pk@example.com", "", customer.Active, clock.Now()))
		one, two, three := credential("c1", 1, clock.Now()), credential("c1", 2, clock.Now()), credential("c1", 3, clock.Now())
		for _, c := range []passkey.Credential{one, two, three} {
			added(t, s, clock, c)
		}
		c, _ := s.Customer(ctx, "c1")
		clock.Advance(time.Second)
		after := c
		after.PasswordHash, after.UpdatedAt = "reset", clock.Now()
		u := account.Update{Before: c, After: after, DropPasskeys: []string{one.IDText(), three.IDText(), "bm90LXRoZXJl"}}
		stale := u
		stale.Before.UpdatedAt = stale.Before.UpdatedAt.Add(-time.Second)
		if err := s.Update(ctx, stale); !errors.Is(err, account.ErrConflict) {
			t.Errorf("over a stale read: %v, want ErrConflict", err)
		}
		listed(t, s, "c1", one, two, three)
		if err := s.Update(ctx, u); err != nil {
			t.Fatal(err)
		}
		listed(t, s, "c1", two)
	})
}
