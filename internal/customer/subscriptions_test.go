package customer_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openreg/registration/internal/customer"
)

func TestSubscribe(t *testing.T) {
	then := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := then.Add(48 * time.Hour)
	rec := func(typ string, active bool) customer.Subscription {
		return customer.Subscription{ID: "3f9a2c1e-0000-4000-8000-00000000000a", StoreID: "default", Email: "ada@example.com",
			Type: typ, Active: active, CreatedAt: then, UpdatedAt: then}
	}
	tests := []struct {
		name   string
		have   []customer.Subscription
		types  []string
		active bool
		// want is the written records' type:active pairs.
		want []string
		// sameID: the written records keep the address's identity.
		sameID bool
	}{
		{name: "a new address gets active records under Standard", types: []string{"general", "deals"}, active: true,
			want: []string{"general:true", "deals:true"}},
		{name: "a new address's records wait inactive under double opt-in", types: []string{"general"}, active: false,
			want: []string{"general:false"}},
		{name: "an address with subscriptions keeps their identity for a new type",
			have: []customer.Subscription{rec("general", true)}, types: []string{"general", "deals"}, active: true,
			want: []string{"deals:true"}, sameID: true},
		{name: "an inactive subscription is reactivated",
			have: []customer.Subscription{rec("general", false)}, types: []string{"general"}, active: true,
			want: []string{"general:true"}, sameID: true},
		{name: "an inactive subscription waits for the opt-in under double opt-in",
			have: []customer.Subscription{rec("general", false)}, types: []string{"general"}, active: false,
			want: nil},
		{name: "an active subscription needs no write",
			have: []customer.Subscription{rec("general", true)}, types: []string{"general"}, active: true, want: nil},
		{name: "no choice writes nothing", have: []customer.Subscription{rec("general", false)}, active: true, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := customer.Subscribe(tt.have, "default", "Ada@Example.com", "de", tt.types, tt.active, now, rand.NewChaCha8([32]byte{1}))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("wrote %+v, want %v", got, tt.want)
			}
			ids := map[string]bool{}
			for i, s := range got {
				if pair := s.Type + ":" + map[bool]string{true: "true", false: "false"}[s.Active]; pair != tt.want[i] {
					t.Errorf("record %d is %s, want %s", i, pair, tt.want[i])
				}
				if !s.UpdatedAt.Equal(now) || s.Email != "Ada@Example.com" || s.StoreID != "default" || !customer.ValidID(s.ID) {
					t.Errorf("record %+v", s)
				}
				if s.Active != !s.ActivatedAt.IsZero() {
					t.Errorf("active %v but activated at %v", s.Active, s.ActivatedAt)
				}
				ids[s.ID] = true
			}
			if len(ids) > 1 {
				t.Errorf("one address's records have %d identities", len(ids))
			}
			if tt.sameID && !ids[tt.have[0].ID] {
				t.Errorf("ids %v, want the address's %s", ids, tt.have[0].ID)
			}
		})
	}
}

func TestSubscriptionStates(t *testing.T) {
	then := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := then.Add(time.Hour)
	have := []customer.Subscription{
		{ID: "a", Type: "general", Active: false, Email: "ada@example.com"},
		{ID: "a", Type: "deals", Active: true, Email: "ada@example.com", ActivatedAt: then},
		{ID: "a", Type: "news", Active: false, Email: "ada@example.com"},
	}
	t.Run("verifying the address activates the chosen waiting records only", func(t *testing.T) {
		got := customer.Activate(have, []string{"general", "deals"}, now)
		if len(got) != 1 || got[0].Type != "general" || !got[0].Active || !got[0].ActivatedAt.Equal(now) {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("dropping a type switches its record off and keeps it", func(t *testing.T) {
		got := customer.Unsubscribe(have, []string{"general"}, now)
		if len(got) != 1 || got[0].Type != "deals" || got[0].Active || got[0].ID != "a" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("an address change moves every record, identity and state kept", func(t *testing.T) {
		got := customer.Moved(have, "grace@example.com", now)
		if len(got) != 3 || got[1].Email != "grace@example.com" || !got[1].Active || got[1].ID != "a" || have[1].Email != "ada@example.com" {
			t.Fatalf("got %+v (have %+v)", got, have)
		}
	})
}

func TestWaiting(t *testing.T) {
	then := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	expires := then.Add(7 * 24 * time.Hour)
	have := []customer.Subscription{
		{ID: "a", Type: "general", ExpiresAt: then.Add(24 * time.Hour)}, // waiting for an earlier registration
		{ID: "a", Type: "deals", Active: false, ActivatedAt: then},      // switched off by its owner: no expiry
	}
	writes := []customer.Subscription{{ID: "a", Type: "news"}}
	got := customer.Waiting(have, writes, []string{"general", "deals", "news"}, expires)
	byType := map[string]customer.Subscription{}
	for _, s := range got {
		byType[s.Type] = s
	}
	if len(got) != 2 || !byType["news"].ExpiresAt.Equal(expires) || !byType["general"].ExpiresAt.Equal(expires) {
		t.Fatalf("got %+v: want the new record and the waiting one to expire with the account", got)
	}
	if _, ok := byType["deals"]; ok {
		t.Fatal("a record its owner switched off was given an expiry")
	}
	if !byType["news"].Expired(expires) || byType["news"].Expired(expires.Add(-time.Second)) {
		t.Fatal("Expired is wrong at the boundary")
	}
}

func TestActivation(t *testing.T) {
	then := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := then.Add(time.Hour)
	a := customer.Activation{StoreID: "default", Email: "ada@example.com", Language: "de", Types: []string{"general", "deals"},
		At: now, NewID: "new-id"}
	have := []customer.Subscription{{ID: "a", Type: "general", ExpiresAt: then.Add(24 * time.Hour), CreatedAt: then}}
	got := a.Apply(have)
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	g, d := got[0], got[1]
	if g.ID != "a" || !g.Active || !g.ExpiresAt.IsZero() || !g.ActivatedAt.Equal(now) || !g.CreatedAt.Equal(then) {
		t.Errorf("the waiting record: %+v, want it active, its identity and creation kept, no expiry", g)
	}
	if d.ID != "new-id" || !d.Active || d.Type != "deals" || d.Language != "de" || !d.CreatedAt.Equal(now) {
		t.Errorf("the missing record: %+v, want it created active", d)
	}
}
