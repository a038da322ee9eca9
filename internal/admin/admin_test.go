package admin_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/openreg/registration/internal/account"
	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/usecasetest"
	"github.com/openreg/registration/internal/vat"
)

const op = admin.Operator("arn:aws:iam::123456789012:role/BackOffice")

type fixture struct {
	*usecasetest.Env
	svc *admin.Service
}

func newFixture(t *testing.T, opts ...func(*settings.Settings)) *fixture {
	t.Helper()
	e := usecasetest.New(t, 24*time.Hour, opts...)
	return &fixture{Env: e, svc: admin.New(admin.Deps{Settings: e.Settings, Store: e.Store, Sessions: e.Sessions, Hasher: e.Hasher,
		Random: rand.Reader, Now: e.Clock.Now})}
}

var wantCode = usecasetest.WantCode

// put stores a customer in a state.
func (f *fixture) put(id string, st customer.Status, requiresApproval bool) {
	f.Store.Put(customer.Customer{ID: id, StoreID: "default", Email: id[:8] + "@example.com", Status: st,
		RequiresApproval: requiresApproval, CreatedAt: f.Clock.Now(), UpdatedAt: f.Clock.Now()})
}

func welcomes(s *memstore.Store) int {
	n := 0
	for _, m := range s.Outbox {
		if m.Kind() == mail.Welcome {
			n++
		}
	}
	return n
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		req  admin.CreateRequest
		want apperr.Code
	}{
		{"a customer without a password is invited", admin.CreateRequest{Email: "a@example.com", Profile: customer.Profile{FirstName: "A", LastName: "B"}}, ""},
		{"a bad address is a field error", admin.CreateRequest{Email: "nope", Profile: customer.Profile{FirstName: "A", LastName: "B"}}, apperr.Validation},
		{"a weak password is a field error", admin.CreateRequest{Email: "b@example.com", Password: "x", Profile: customer.Profile{FirstName: "A", LastName: "B"}}, apperr.Validation},
		{"the registration's field rules apply", admin.CreateRequest{Email: "c@example.com"}, apperr.Validation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c, err := f.svc.Create(ctx, op, tt.req)
			if tt.want != "" {
				wantCode(t, err, tt.want)
				return
			}
			if err != nil || c.Status != customer.Unverified || c.PasswordHash != "" {
				t.Fatalf("Create = %+v, %v", c, err)
			}
			if got := f.Store.Outbox; len(got) != 1 || got[0].Content != (account.VerificationLinkJob{CustomerID: c.ID, StoreID: "default", Invitation: true}) {
				t.Errorf("outbox = %+v, want the invitation job", got)
			}
			_, err = f.svc.Create(ctx, op, tt.req)
			wantCode(t, err, apperr.EmailTaken)
		})
	}
}

func TestCreateWithTheRestOfTheForm(t *testing.T) {
	f := newFixture(t, func(s *settings.Settings) {
		for _, name := range []string{settings.StreetAddress, settings.ZipPostalCode, settings.City, settings.CountryCode,
			settings.Phone, settings.VatNumber} {
			s.Fields[name] = settings.Field{Enabled: true}
		}
		s.Vat.EUVat = true
	})
	c, err := f.svc.Create(context.Background(), op, admin.CreateRequest{Email: "d@example.com", Profile: customer.Profile{
		FirstName: "D", LastName: "E", StreetAddress: "Rue 1", ZipPostalCode: "75001", City: "Paris", CountryCode: "FR",
		Phone: "+33 1 23 45 67 89", VatNumber: "fr 12 345678901"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Addresses) != 1 || c.BillingAddressID != c.Addresses[0].ID || c.Profile.VatNumber != "FR12345678901" ||
		c.Vat == nil || c.Vat.Status != customer.VatUnknown {
		t.Fatalf("customer %+v", c)
	}
	jobs := 0
	for _, m := range f.Store.Outbox {
		if j, ok := m.Content.(vat.CheckJob); ok && j.CustomerID == c.ID {
			jobs++
		}
	}
	if jobs != 1 {
		t.Fatalf("%d VAT check jobs, want 1", jobs)
	}
}

func TestApproveWelcomesOnceInEitherOrder(t *testing.T) {
	ctx := context.Background()
	const id = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	t.Run("approving a verified customer activates it and welcomes it once", func(t *testing.T) {
		f := newFixture(t)
		f.put(id, customer.PendingApproval, true)
		for range 2 {
			c, err := f.svc.Approve(ctx, op, id)
			if err != nil || c.Status != customer.Active {
				t.Fatalf("Approve = %s, %v", c.Status, err)
			}
		}
		if n := welcomes(f.Store); n != 1 {
			t.Errorf("%d welcomes, want 1", n)
		}
	})
	t.Run("approving first leaves the customer unverified and unwelcomed", func(t *testing.T) {
		f := newFixture(t)
		f.put(id, customer.Unverified, true)
		c, err := f.svc.Approve(ctx, op, id)
		if err != nil || c.Status != customer.Unverified || c.RequiresApproval {
			t.Fatalf("Approve = %+v, %v", c, err)
		}
		if n := welcomes(f.Store); n != 0 {
			t.Errorf("%d welcomes before the address is verified", n)
		}
	})
	t.Run("a deactivated customer is not approved", func(t *testing.T) {
		f := newFixture(t)
		f.put(id, customer.Deactivated, false)
		_, err := f.svc.Approve(ctx, op, id)
		wantCode(t, err, apperr.InvalidState)
	})
	t.Run("nobody is not found", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Approve(ctx, op, id)
		wantCode(t, err, apperr.CustomerNotFound)
		_, err = f.svc.Approve(ctx, op, "not-an-id")
		wantCode(t, err, apperr.CustomerNotFound)
	})
}

func TestImpersonationAndDeactivation(t *testing.T) {
	ctx := context.Background()
	const id = "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f"
	f := newFixture(t)
	f.put(id, customer.Active, false)
	s, err := f.svc.Impersonate(ctx, op, id)
	if err != nil || !s.ExpiresAt.Equal(f.Clock.Now().Add(admin.ImpersonationLifetime)) {
		t.Fatalf("Impersonate = %+v, %v; want a session of at most an hour", s, err)
	}
	p, err := f.svc.Activity(ctx, id, 10, "")
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Type != customer.ActivityImpersonated || p.Entries[0].Detail["admin"] != string(op) {
		t.Errorf("activity = %+v, %v", p, err)
	}
	if _, err := f.svc.Deactivate(ctx, op, id); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Impersonate(ctx, op, id)
	wantCode(t, err, apperr.InvalidState)
}

func TestListPagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ids := []string{"0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e61", "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e62", "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e63"}
	for _, id := range ids {
		f.Clock.Advance(time.Second)
		f.put(id, customer.Active, false)
	}
	var got []string
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		p, err := f.svc.List(ctx, "", "verified", 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Customers {
			got = append(got, c.ID)
		}
		if cursor = p.Cursor; cursor == "" {
			break
		}
	}
	if len(got) != 3 || got[0] != ids[2] || got[2] != ids[0] {
		t.Errorf("listed %v, want newest first", got)
	}
	_, err := f.svc.List(ctx, "", "everyone", 2, "")
	wantCode(t, err, apperr.Validation)
	_, err = f.svc.List(ctx, "", "verified", 2, "!!")
	wantCode(t, err, apperr.Validation)
}
