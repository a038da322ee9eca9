package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/openreg/registration/internal/devstack"
	"github.com/openreg/registration/internal/event"
)

// published delivers the outbox (mail and events) and returns the events
// the bus forwarded to its queue since the last call.
func (s *stack) published() []devstack.Published {
	s.t.Helper()
	s.deliverMail()
	evs, err := devstack.ReceiveEvents(context.Background(), s.clients.SQS, s.bus.QueueURL)
	if err != nil {
		s.t.Fatal(err)
	}
	return evs
}

func typesOf(evs []devstack.Published) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.DetailType)
	}
	slices.Sort(out)
	return out
}

// eventSchemas compiles events/schemas, one per event type.
func eventSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	out := map[string]*jsonschema.Schema{}
	for _, typ := range event.Types {
		path := filepath.Join(moduleRoot(t), "events", "schemas", string(typ)+".json")
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("no schema for %s: %v", typ, err)
		}
		if err := c.AddResource(path, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if out[string(typ)], err = c.Compile(path); err != nil {
			t.Fatalf("schema %s: %v", typ, err)
		}
	}
	return out
}

// TestEventsReachTheBus: every committed change publishes its events on the
// bus, each matching its schema and carrying no secret; a refused request
// publishes none.
func TestEventsReachTheBus(t *testing.T) {
	s := newStack(t, nil)
	schemas := eventSchemas(t)
	var all []devstack.Published
	step := func(name string, want []string, do func()) {
		t.Helper()
		do()
		got := s.published()
		all = append(all, got...)
		slices.Sort(want)
		if !slices.Equal(typesOf(got), want) {
			t.Errorf("%s published %v, want %v", name, typesOf(got), want)
		}
	}
	email := "events@example.com"
	var tok string
	step("registering", []string{"customer.registered"}, func() {
		if r := s.register(person(email)); r.status != http.StatusAccepted {
			t.Fatal(r.status)
		}
	})
	step("confirming", []string{"customer.verified", "customer.activated", "customer.signed_in"}, func() {
		r := s.postJSON("/v1/verify-email", map[string]any{"token": s.verificationToken(email), "password": "correct horse"})
		tok, _ = r.json(t)["sessionToken"].(string)
	})
	step("a wrong password", nil, func() { s.signIn(email, "wrong horse") })
	step("a refused registration", nil, func() { s.register(map[string]any{"email": "nope"}) })
	step("signing in", []string{"customer.signed_in"}, func() { s.session(email, "correct horse") })
	step("signing out", []string{"customer.signed_out"}, func() {
		other := s.session(email, "correct horse")
		all = append(all, s.published()...) // the sign-in's own event
		s.do(http.MethodDelete, "/v1/sessions/current", "", nil, as(other))
	})
	step("changing the password", []string{"customer.password_changed"}, func() {
		s.do(http.MethodPut, "/v1/customers/me/password", "application/json",
			[]byte(`{"currentPassword":"correct horse","newPassword":"horse correct"}`), as(tok))
	})
	step("changing the address", []string{"customer.email_changed"}, func() {
		s.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": "events-new@example.com", "password": "horse correct"}, as(tok))
		s.postJSON("/v1/email-change", map[string]any{"token": s.linkToken("events-new@example.com", "/v1/email-change")})
	})
	step("signing out everywhere", []string{"customer.signed_out"}, func() {
		s.do(http.MethodDelete, "/v1/sessions", "", nil, as(tok))
	})
	s.clock.Advance(time.Millisecond)
	step("erasing", []string{"customer.deleted", "customer.signed_in"}, func() {
		tok := s.session("events-new@example.com", "horse correct")
		s.do(http.MethodDelete, "/v1/customers/me", "application/json", []byte(`{"password":"horse correct"}`), as(tok))
	})

	ids := map[string]bool{}
	for _, e := range all {
		if e.Source != event.Source {
			t.Errorf("%s has source %q", e.DetailType, e.Source)
		}
		sch, ok := schemas[e.DetailType]
		if !ok {
			t.Errorf("an event of unknown type %q", e.DetailType)
			continue
		}
		var detail map[string]any
		if err := json.Unmarshal(e.Detail, &detail); err != nil {
			t.Fatalf("%s detail: %v", e.DetailType, err)
		}
		if err := sch.Validate(detail); err != nil {
			t.Errorf("%s does not match its schema: %v\n%s", e.DetailType, err, e.Detail)
		}
		id, _ := detail["eventId"].(string)
		if ids[id] {
			t.Errorf("event id %s twice", id)
		}
		ids[id] = true
		lower := strings.ToLower(string(e.Detail))
		for _, secret := range []string{"password", "hash", "token", "argon2", "correct horse"} {
			if strings.Contains(lower, secret) {
				t.Errorf("%s carries %q: %s", e.DetailType, secret, e.Detail)
			}
		}
	}
}
