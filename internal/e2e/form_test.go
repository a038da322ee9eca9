package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/openreg/registration/internal/captcha/providertest"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/vat/viestest"
)

// everyFeature turns on every part of the registration form: CAPTCHA,
// newsletters, the default address with states, the EU VAT check with the
// owner's notice, against the local provider servers.
func everyFeature(t *testing.T, captchaSrv *providertest.Server, vies *viestest.Server) func(*settings.Settings) {
	return func(s *settings.Settings) {
		s.Captcha = captchaSrv.Settings(t, settings.CaptchaOn{Registration: true})
		s.Newsletters = []settings.NewsletterType{{ID: "general", Name: "Newsletter"}, {ID: "deals", Name: "Deals"}}
		for _, f := range []string{settings.StreetAddress, settings.ZipPostalCode, settings.City, settings.CountryCode,
			settings.StateProvince, settings.Phone, settings.VatNumber} {
			s.Fields[f] = settings.Field{Enabled: true}
		}
		s.Vat = settings.Vat{EUVat: true, ViesURL: vies.URL, Timeout: settings.Duration(2 * time.Second), NotifyStoreOwner: true}
		s.StoreOwnerEmail = "owner@shop.example"
	}
}

// fullForm is a registration filling every field everyFeature asks for.
func fullForm(email string) map[string]any {
	b := person(email)
	for k, v := range map[string]any{
		"streetAddress": "Unter den Linden 1", "zipPostalCode": "10117", "city": "Berlin", "countryCode": "DE",
		"stateProvince": "BE", "phone": "+49 30 123456", "vatNumber": "DE 123 456 789", "company": "Lovelace GmbH",
		"newsletters": []string{"general", "deals"}, "captchaToken": "pass@register#" + email,
	} {
		b[k] = v
	}
	return b
}

// customerWrites are the TransactWriteItems calls among calls that put a
// customer item.
func customerWrites(calls []call) []*dynamodb.TransactWriteItemsInput {
	var out []*dynamodb.TransactWriteItemsInput
	for _, c := range calls {
		in, ok := c.in.(*dynamodb.TransactWriteItemsInput)
		if !ok {
			continue
		}
		for _, it := range in.TransactItems {
			if it.Put == nil {
				continue
			}
			pk, _ := it.Put.Item["PK"].(*types.AttributeValueMemberS)
			sk, _ := it.Put.Item["SK"].(*types.AttributeValueMemberS)
			if pk != nil && sk != nil && strings.HasPrefix(pk.Value, "CUSTOMER#") && sk.Value == "PROFILE" {
				out = append(out, in)
				break
			}
		}
	}
	return out
}

// partitions lists the partition-key prefixes a transaction writes.
func partitions(in *dynamodb.TransactWriteItemsInput) map[string]int {
	out := map[string]int{}
	for _, it := range in.TransactItems {
		var key map[string]types.AttributeValue
		switch {
		case it.Put != nil:
			key = it.Put.Item
		case it.Update != nil:
			key = it.Update.Key
		case it.Delete != nil:
			key = it.Delete.Key
		case it.ConditionCheck != nil:
			key = it.ConditionCheck.Key
		}
		if pk, ok := key["PK"].(*types.AttributeValueMemberS); ok {
			prefix, _, _ := strings.Cut(pk.Value, "#")
			out[prefix]++
		}
	}
	return out
}

// TestEveryFeatureInOneWrite: with every part of the form on, a
// registration still writes the customer's own data (account, keys,
// address, subscriptions, consents, the VAT check's job) in one DynamoDB
// transaction, under Standard on the request path and under double opt-in
// in the mailer's completion.
func TestEveryFeatureInOneWrite(t *testing.T) {
	for _, rt := range []settings.RegistrationType{settings.Standard, settings.EmailValidation} {
		t.Run(string(rt), func(t *testing.T) {
			captchaSrv := providertest.Start(t, settings.Turnstile, "s3cret", "site-key")
			vies := viestest.Start(t)
			vies.Answer("DE123456789", viestest.Valid)
			s, c := countingStack(t, func(st *settings.Settings) { everyFeature(t, captchaSrv, vies)(st); st.RegistrationType = rt })
			email := "full-" + strings.ToLower(string(rt)) + "@example.com"
			want := http.StatusCreated
			if rt != settings.Standard {
				want = http.StatusAccepted
			}
			var calls []call
			request := c.recording(func() { expect(t, s.register(fullForm(email)), want) })
			calls = append(calls, request...)
			var writes []string
			for _, call := range request {
				switch call.op {
				case "TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem":
					writes = append(writes, call.op)
				}
			}
			if len(writes) != 1 {
				t.Errorf("the request wrote with %v, want one call", writes)
			}
			calls = append(calls, c.recording(s.deliverMail)...)
			created := customerWrites(calls)
			if len(created) != 1 {
				t.Fatalf("%d transactions wrote the customer item, want 1", len(created))
			}
			parts := partitions(created[0])
			for _, p := range []string{"CUSTOMER", "EMAIL", "NEWSLETTER"} {
				if parts[p] == 0 {
					t.Errorf("the customer's write has no %s item: %v", p, parts)
				}
			}
			if parts["NEWSLETTER"] != 2 {
				t.Errorf("%d subscription items in the customer's write, want 2", parts["NEWSLETTER"])
			}
			cust, ok := s.customerByEmail(email)
			if !ok {
				t.Fatal("no customer")
			}
			if len(cust.Addresses) != 1 || cust.Addresses[0].StateProvince != "DE-BE" || cust.BillingAddressID != cust.Addresses[0].ID {
				t.Errorf("addresses %+v, billing %q", cust.Addresses, cust.BillingAddressID)
			}
			if cust.Vat == nil || cust.Vat.Status != "valid" || cust.Vat.Name != "ACME HANDELS GMBH" {
				t.Errorf("VAT check %+v: the job did not store VIES's answer", cust.Vat)
			}
			var notice []string
			for _, m := range s.mailsTo("owner@shop.example") {
				if strings.Contains(m.Subject, "VAT") {
					notice = append(notice, m.HTML)
				}
			}
			if len(notice) != 1 || !strings.Contains(notice[0], "DE123456789") || !strings.Contains(notice[0], "valid") {
				t.Errorf("owner's VAT notices: %d, want 1 naming the number and its status", len(notice))
			}
		})
	}
}

// TestVatOutageHoldsTheCheck: VIES down, the check is held back on the queue
// (not redelivered at the queue's one-second visibility) and its attempt is
// counted on the customer; the request was answered long before.
func TestVatOutageHoldsTheCheck(t *testing.T) {
	captchaSrv := providertest.Start(t, settings.HCaptcha, "s3cret", "site-key")
	vies := viestest.Start(t)
	vies.Answer("DE123456789", viestest.MSUnavailable)
	s := newStack(t, func(st *settings.Settings) {
		everyFeature(t, captchaSrv, vies)(st)
		st.RegistrationType = settings.Standard
	})
	expect(t, s.register(fullForm("vat-down@example.com")), http.StatusCreated)
	s.deliverMail()
	if n := vies.Calls("DE123456789"); n != 1 {
		t.Fatalf("VIES asked %d times, want 1", n)
	}
	cust, _ := s.customerByEmail("vat-down@example.com")
	if cust.Vat == nil || cust.Vat.Status != "unknown" || cust.Vat.Attempts != 1 || cust.Vat.LastError != "MS_UNAVAILABLE" {
		t.Fatalf("check %+v", cust.Vat)
	}
	// A long poll past the queue's one-second visibility timeout, which
	// the hold replaced: nothing comes back.
	if n, err := s.poller.Once(context.Background(), 2); err != nil || n != 0 {
		t.Fatalf("the poller got %d messages (%v): the check was not held back", n, err)
	}
	if n := vies.Calls("DE123456789"); n != 1 {
		t.Fatalf("VIES asked %d times: the check was not held back", n)
	}
	attrs, err := s.clients.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.res.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.Attributes["ApproximateNumberOfMessagesNotVisible"]; got != "1" {
		t.Errorf("%s messages held on the queue, want the check", got)
	}
	me := s.me(s.session("vat-down@example.com", "correct horse")).json(t)
	if v, _ := me["vat"].(map[string]any); v["status"] != "unknown" || v["number"] != "DE123456789" {
		t.Errorf("profile vat %v", me["vat"])
	}
}
