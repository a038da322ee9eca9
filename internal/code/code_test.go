package code_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/code"
	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/device"
	"github.com/openreg/registration/internal/settings"
	"github.com/openreg/registration/internal/store/memstore"
	"github.com/openreg/registration/internal/store/storetest"
)

// ring is a fixed key ring.
type ring struct {
	doc string
	err error
}

func (r ring) Keys(context.Context) (device.Keys, error) {
	if r.err != nil {
		return device.Keys{}, r.err
	}
	return device.ParseKeys(r.doc)
}

var (
	k1   = ring{doc: `{"current":"k1","k1":"` + strings.Repeat("a", 40) + `"}`}
	k2   = ring{doc: `{"current":"k2","k1":"` + strings.Repeat("a", 40) + `","k2":"` + strings.Repeat("b", 40) + `"}`}
	gone = ring{doc: `{"current":"k2","k2":"` + strings.Repeat("b", 40) + `"}`}
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c, err := code.New(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := code.Normalize(c); !ok {
			t.Fatalf("code %q is not 6 digits", c)
		}
		seen[c] = true
	}
	if len(seen) < 1990 {
		t.Errorf("%d distinct codes in 2000, want nearly all distinct", len(seen))
	}
	if _, err := code.New(bytes.NewReader(nil)); err == nil {
		t.Error("a failing random source gave a code")
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, typed, want string
		ok                bool
	}{
		{"six digits are a code", "012345", "012345", true},
		{"a space between the halves is ignored", "012 345", "012345", true},
		{"a hyphen is ignored", "012-345", "012345", true},
		{"five digits are not", "01234", "", false},
		{"seven digits are not", "0123456", "", false},
		{"a letter is not", "01234a", "", false},
		{"other digits are not", "٠١٢٣٤٥", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := code.Normalize(tt.typed); got != tt.want || ok != tt.ok {
				t.Errorf("Normalize(%q) = %q %v, want %q %v", tt.typed, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCodes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	link := &customer.Link{Digest: "linkdigest", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	h := code.NewHasher(k1)
	digest, err := h.Digest(ctx, code.Verify, "c1", link.Digest, "123456")
	if err != nil || !strings.HasPrefix(digest, "k1.") || strings.Contains(digest, "123456") {
		t.Fatalf("digest %q, %v: want a k1 digest that does not contain the code", digest, err)
	}
	link.Code = digest
	tests := []struct {
		name       string
		hasher     *code.Hasher
		purpose    string
		customerID string
		link       customer.Link
		voidBefore time.Time
		at         time.Time
		typed      string
		want       bool
	}{
		{"the code matches its link", h, code.Verify, "c1", *link, time.Time{}, now, "123456", true},
		{"typed with a space it matches", h, code.Verify, "c1", *link, time.Time{}, now, "123 456", true},
		{"another code does not", h, code.Verify, "c1", *link, time.Time{}, now, "123457", false},
		{"it is not a reset code", h, code.Reset, "c1", *link, time.Time{}, now, "123456", false},
		{"it is not another customer's", h, code.Verify, "c2", *link, time.Time{}, now, "123456", false},
		{"it dies with its link (a new link)", h, code.Verify, "c1", customer.Link{Digest: "newer", Code: digest, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}, time.Time{}, now, "123456", false},
		{"it dies when its link expires", h, code.Verify, "c1", *link, time.Time{}, now.Add(time.Hour), "123456", false},
		{"it is spent once the address's codes were voided", h, code.Verify, "c1", *link, now, now, "123456", false},
		{"a rotation keeps it valid while the old key stays", code.NewHasher(k2), code.Verify, "c1", *link, time.Time{}, now, "123456", true},
		{"a retired key ends it", code.NewHasher(gone), code.Verify, "c1", *link, time.Time{}, now, "123456", false},
		{"a link without a code takes none", h, code.Verify, "c1", customer.Link{Digest: "linkdigest", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}, time.Time{}, now, "123456", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.link
			got, err := tt.hasher.Check(ctx, tt.purpose, tt.customerID, &l, tt.voidBefore, tt.at, tt.typed)
			if err != nil || got != tt.want {
				t.Errorf("Check = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("an unreadable key ring is an error, not a mismatch", func(t *testing.T) {
		down := code.NewHasher(ring{err: errors.New("secrets manager down")})
		if _, err := down.Check(ctx, code.Verify, "c1", link, time.Time{}, now, "123456"); !errors.Is(err, code.ErrNoKeys) {
			t.Errorf("got %v, want ErrNoKeys", err)
		}
	})
}

func TestCodeGuessing(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Start)
	st := memstore.New(clock.Now)
	st.Put(customer.Customer{ID: "c1", Email: "ada@example.com", Status: customer.Unverified, CreatedAt: clock.Now()})
	s := settings.Default()
	s.ClientLimits.Codes = settings.Limit{Max: 100, Window: settings.Duration(time.Hour)}
	g := code.NewGuard(st, s, clock.Now, slog.New(slog.DiscardHandler))
	for i := 1; i <= code.WrongPerDay; i++ {
		err := g.Wrong(ctx, "ada@example.com", "c1")
		if apperr.CodeOf(err) != apperr.CodeInvalid {
			t.Fatalf("wrong code %d: %v, want code_invalid", i, err)
		}
		c, _ := st.Customer(ctx, "c1")
		if voided := !c.CodesVoidBefore.IsZero(); voided != (i == code.WrongPerDay) {
			t.Fatalf("after wrong code %d the codes are voided: %v, want only after the %d", i, voided, code.WrongPerDay)
		}
	}
	t.Run("an unknown address counts the same, with nothing to void", func(t *testing.T) {
		for range code.WrongPerDay + 1 {
			if err := g.Wrong(ctx, "nobody@example.com", ""); apperr.CodeOf(err) != apperr.CodeInvalid {
				t.Fatalf("got %v, want code_invalid", err)
			}
		}
	})
	t.Run("at most five codes a day are mailed to an address", func(t *testing.T) {
		for i := 1; i <= code.MailedPerDay+1; i++ {
			ok, err := g.MayMail(ctx, "grace@example.com")
			if err != nil || ok != (i <= code.MailedPerDay) {
				t.Fatalf("code %d: may mail %v, %v", i, ok, err)
			}
		}
		clock.Advance(24 * time.Hour)
		if ok, _ := g.MayMail(ctx, "grace@example.com"); !ok {
			t.Error("the next day, no code may be mailed")
		}
	})
	t.Run("a store past its code submissions refuses every one", func(t *testing.T) {
		s := settings.Default()
		s.ClientLimits.Codes = settings.Limit{}
		s.Codes.PerStore = settings.Limit{Max: 2, Window: settings.Duration(time.Hour)}
		g := code.NewGuard(st, s, clock.Now, slog.New(slog.DiscardHandler))
		for i := 1; i <= 3; i++ {
			err := g.Submitted(ctx, "default", "203.0.113.9")
			if (err == nil) != (i <= 2) || (err != nil && apperr.CodeOf(err) != apperr.TooManyRequests) {
				t.Fatalf("submission %d: %v", i, err)
			}
		}
	})
}
