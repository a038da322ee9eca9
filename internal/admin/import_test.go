package admin_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/openreg/registration/internal/admin"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/password"
	"github.com/openreg/registration/internal/password/legacy"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
)

// BenchmarkImportBatch is one import call of 100 customers with fast
// legacy hashes (each wrapped: one argon2id at OWASP's parameters) on the
// in-memory store: the CPU a batch needs of the admin function, which
// must finish well within its timeout.
func BenchmarkImportBatch(b *testing.B) {
	s := settings.Default()
	h, err := password.NewHasher(password.OWASPParams(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	clock := storetest.NewClock(storetest.Start)
	svc := admin.New(admin.Deps{Settings: s, Store: memstore.New(clock.Now), Hasher: h, Random: rand.Reader, Now: clock.Now})
	round := 0
	for b.Loop() {
		entries := make([]admin.ImportEntry, admin.MaxImport)
		for i := range entries {
			entries[i] = admin.ImportEntry{Email: fmt.Sprintf("c%d-%d@old-shop.example", round, i), ExternalID: fmt.Sprintf("%d-%d", round, i),
				EmailVerified: true, CreatedAt: storetest.Start.Add(-time.Hour),
				PasswordHash: &legacy.Input{Format: legacy.PHPass, Value: "$P$6Ite8zhIbIKnVpOD4jDjyI8dvOfeOX0"}}
			entries[i].Profile.FirstName, entries[i].Profile.LastName = "Bulk", "Customer"
		}
		res, err := svc.Import(b.Context(), "bench", entries, false)
		if err != nil || res.Imported != admin.MaxImport {
			b.Fatalf("imported %d, skipped %v: %v", res.Imported, res.Skipped, err)
		}
		round++
	}
}

// TestImportStopsBeforeItsDeadline: with less than the margin left, a call
// begins no more entries and answers them not_attempted.
func TestImportStopsBeforeItsDeadline(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	res, err := f.svc.Import(ctx, op, []admin.ImportEntry{{Email: "late@old-shop.example", Profile: customer.Profile{FirstName: "A", LastName: "B"}}}, false)
	if err != nil || res.Imported != 0 || len(res.Skipped) != 1 || res.Skipped[0] != (admin.Skip{Index: 0, Code: admin.SkipNotAttempted}) {
		t.Errorf("Import = %+v, %v; want the entry not attempted", res, err)
	}
}

// TestImportLogsConsents: consents the old shop recorded are logged with
// their time and version; a consent the store requires and the old shop
// did not record is logged as not given, never as agreed.
func TestImportLogsConsents(t *testing.T) {
	f := newFixture(t, func(s *settings.Settings) {
		s.Consents = []settings.Consent{{ID: "terms", Message: "I accept the terms.", Required: true}, {ID: "privacy", Message: "Privacy.", Required: true}}
	})
	given := time.Date(2019, 5, 1, 10, 0, 0, 0, time.UTC)
	res, err := f.svc.Import(t.Context(), op, []admin.ImportEntry{{Email: "old@old-shop.example", Profile: customer.Profile{FirstName: "A", LastName: "B"},
		Consents: []admin.ImportedConsent{{ID: "terms", Version: "2019-01", GivenAt: given}}}}, false)
	if err != nil || res.Imported != 1 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	got := map[string]customer.ConsentRecord{}
	for _, c := range f.Store.Consents {
		got[c.ConsentID] = c
	}
	if c := got["terms"]; !c.Agreed || !c.At.Equal(given) || c.Message != "imported: 2019-01" {
		t.Errorf("terms logged %+v, want agreed at its time with its version", c)
	}
	if c, ok := got["privacy"]; !ok || c.Agreed || c.Message != "imported: not given in the old shop" {
		t.Errorf("privacy logged %+v (%v), want logged as not given", c, ok)
	}
}
