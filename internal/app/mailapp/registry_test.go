package mailapp_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/myaccount"
	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/registration"
	"github.com/openreg/registration/internal/signin"
	"github.com/openreg/registration/internal/vat"
	"github.com/openreg/registration/internal/verification"
)

// jobs holds one queued job of every kind the mailer runs, as its producer
// makes it.
var jobs = []outbox.Content{
	verification.ResendJob{Email: "ada@example.com", Language: "de"},
	account.VerificationLinkJob{CustomerID: "c1", StoreID: "default", Invitation: true},
	registration.CompleteJob{RegistrationID: "r1", StoreID: "default"},
	myaccount.PasswordResetJob{Email: "ada@example.com", Language: "en"},
	myaccount.EmailChangeJob{CustomerID: "c1", NewEmail: "ada@example.org"},
	myaccount.ErasureJob{CustomerID: "c1", AddressDigest: "d1"},
	vat.CheckJob{CustomerID: "c1", Number: "DE123456789"},
	signin.CodeJob{Email: "ada@example.com", Language: "de"},
	signin.NewSignInJob{CustomerID: "c1", At: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), UserAgent: "Firefox", Address: "203.0.113.7"},
}

func TestRegistry(t *testing.T) {
	r := mailapp.Registry(mailapp.Jobs{})
	mails, registered := r.Kinds()
	t.Run("it knows every mail and every job, and nothing else", func(t *testing.T) {
		var want []outbox.Kind
		for _, j := range jobs {
			want = append(want, j.Kind())
		}
		slices.Sort(want)
		slices.Sort(registered)
		if !slices.Equal(registered, want) {
			t.Errorf("jobs %v, want %v", registered, want)
		}
		all := mail.Kinds()
		slices.Sort(all)
		slices.Sort(mails)
		if !slices.Equal(mails, all) {
			t.Errorf("mails %v, want %v", mails, all)
		}
	})
	created := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range jobs {
		t.Run("an encoded "+string(c.Kind())+" job decodes to the same job", func(t *testing.T) {
			want := outbox.New("j1", created, outbox.Recipient{}, c)
			body, err := want.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || !r.IsJob(got) {
				t.Errorf("got %+v (job %v), want %+v", got, r.IsJob(got), want)
			}
		})
		t.Run("a "+string(c.Kind())+" job with a recipient is refused", func(t *testing.T) {
			body, err := outbox.New("j1", created, outbox.Recipient{Email: "x@example.com"}, c).Encode()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Decode(body); err == nil || !strings.Contains(err.Error(), "a job has no recipient") {
				t.Errorf("got %v, want the recipient refused", err)
			}
		})
		t.Run("an empty "+string(c.Kind())+" job is refused", func(t *testing.T) {
			body := `{"id":"j1","kind":"` + string(c.Kind()) + `","content":{}}`
			if _, err := r.Decode(body); err == nil {
				t.Error("got nil, want the empty job refused")
			}
		})
	}
}
