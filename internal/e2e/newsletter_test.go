package e2e

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/settings"
)

// subscriptionItems lists the table's newsletter subscription items as
// "address type active id", sorted.
func (s *stack) subscriptionItems() []string {
	s.t.Helper()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.res.Table),
		FilterExpression:          aws.String("begins_with(PK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "NEWSLETTER#"}}})
	if err != nil {
		s.t.Fatal(err)
	}
	var rows []string
	for _, it := range out.Items {
		str := func(k string) string {
			v, _ := it[k].(*types.AttributeValueMemberS)
			if v == nil {
				return ""
			}
			return v.Value
		}
		active, _ := it["active"].(*types.AttributeValueMemberBOOL)
		rows = append(rows, strings.Join([]string{str("email"), str("newsletter"), map[bool]string{true: "active", false: "inactive"}[active != nil && active.Value], str("id")}, " "))
	}
	sort.Strings(rows)
	return rows
}

// waitingItems counts the subscription items that carry a TTL.
func (s *stack) waitingItems() int {
	s.t.Helper()
	out, err := s.clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(s.res.Table),
		FilterExpression:          aws.String("begins_with(PK, :p) AND attribute_exists(#ttl)"),
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "NEWSLETTER#"}}})
	if err != nil {
		s.t.Fatal(err)
	}
	return int(out.Count)
}

// exported returns the export's subscriptions as "type active id".
func (s *stack) exported(tok string) []string {
	s.t.Helper()
	r := s.do(http.MethodGet, "/v1/customers/me/export", "", nil, as(tok))
	expect(s.t.(*testing.T), r, http.StatusOK)
	var rows []string
	for _, x := range r.json(s.t)["newsletterSubscriptions"].([]any) {
		m := x.(map[string]any)
		rows = append(rows, strings.Join([]string{m["newsletter"].(string), map[bool]string{true: "active", false: "inactive"}[m["active"].(bool)], m["id"].(string)}, " "))
	}
	sort.Strings(rows)
	return rows
}

func TestNewsletterSubscriptions(t *testing.T) {
	two := func(s *settings.Settings) {
		s.Newsletters = []settings.NewsletterType{{ID: "general", Name: "Newsletter"}, {ID: "deals", Name: "Deals"}}
	}
	s := newStack(t, two)
	const addr = "nora@example.com"
	body := person(addr)
	body["newsletters"] = []string{"general"}
	expect(t, s.register(body), http.StatusAccepted)
	tok := s.verificationToken(addr) // the mailer completed the registration

	items := s.subscriptionItems()
	if len(items) != 1 || !strings.HasPrefix(items[0], addr+" general inactive ") {
		t.Fatalf("after registration: %v, want one inactive record waiting for the opt-in", items)
	}
	id := strings.Fields(items[0])[3]
	if n := s.waitingItems(); n != 1 {
		t.Fatalf("%d waiting records with a TTL, want 1: a record that is never activated goes with its account", n)
	}

	expect(t, s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}), http.StatusOK)
	if got := s.subscriptionItems(); len(got) != 1 || got[0] != addr+" general active "+id {
		t.Fatalf("after confirmation: %v, want the record active, its identity kept", got)
	}
	if n := s.waitingItems(); n != 0 {
		t.Fatalf("%d records still expire after the confirmation", n)
	}

	session := s.session(addr, "correct horse")
	patch := func(newsletters ...string) {
		t.Helper()
		b := `{"newsletters":["` + strings.Join(newsletters, `","`) + `"]}`
		if len(newsletters) == 0 {
			b = `{"newsletters":[]}`
		}
		expect(t, s.do(http.MethodPatch, "/v1/customers/me", "application/json", []byte(b), as(session)), http.StatusOK)
	}
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"a new type joins the address's identity, active at once (the address is verified)", func() { patch("general", "deals") },
			[]string{"deals active " + id, "general active " + id}},
		{"a dropped type is switched off and kept", func() { patch("deals") },
			[]string{"deals active " + id, "general inactive " + id}},
		{"choosing it again reactivates the same record", func() { patch("general", "deals") },
			[]string{"deals active " + id, "general active " + id}},
		{"choosing none switches all off", func() { patch() },
			[]string{"deals inactive " + id, "general inactive " + id}},
	}
	for _, st := range steps {
		st.do()
		if got := s.exported(session); strings.Join(got, "|") != strings.Join(st.want, "|") {
			t.Fatalf("%s: export shows %v, want %v", st.name, got, st.want)
		}
	}
	patch("general")

	t.Run("an address change moves the subscriptions to the new address", func(t *testing.T) {
		const next = "nora.new@example.com"
		expect(t, s.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": next, "password": "correct horse"}, as(session)), http.StatusAccepted)
		expect(t, s.postJSON("/v1/email-change", map[string]any{"token": s.linkToken(next, "/v1/email-change")}), http.StatusOK)
		got := s.subscriptionItems()
		want := []string{next + " deals inactive " + id, next + " general active " + id}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("records %v, want %v", got, want)
		}
	})

	t.Run("erasure removes the address's subscriptions", func(t *testing.T) {
		tok := s.session("nora.new@example.com", "correct horse")
		r := s.do(http.MethodDelete, "/v1/customers/me", "application/json", []byte(`{"password":"correct horse"}`), as(tok))
		expect(t, r, http.StatusAccepted)
		if got := s.subscriptionItems(); len(got) != 0 {
			t.Fatalf("records left: %v", got)
		}
	})

	t.Run("a Standard registration's subscriptions are active at once", func(t *testing.T) {
		std := newStack(t, func(st *settings.Settings) { two(st); st.RegistrationType = settings.Standard })
		body := person("sam@example.com")
		body["newsletters"] = []string{"deals", "general"}
		expect(t, std.register(body), http.StatusCreated)
		got := std.subscriptionItems()
		if len(got) != 2 || !strings.Contains(got[0], " deals active ") || !strings.Contains(got[1], " general active ") ||
			strings.Fields(got[0])[3] != strings.Fields(got[1])[3] {
			t.Fatalf("records %v, want two active records of one identity", got)
		}
	})

	t.Run("a registration of a verified owner's address subscribes nobody", func(t *testing.T) {
		std := newStack(t, two)
		std.activeCustomer("owner@example.com", "correct horse")
		body := person("owner@example.com")
		body["newsletters"] = []string{"deals"}
		expect(t, std.register(body), http.StatusAccepted)
		std.deliverMail()
		if got := std.subscriptionItems(); len(got) != 0 {
			t.Fatalf("records %v: a stranger subscribed the owner", got)
		}
	})
}
