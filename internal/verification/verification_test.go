package verification

import (
	"testing"
	"time"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/customer"
)

var t0 = time.Date(2030, 3, 14, 9, 0, 0, 0, time.UTC)

func TestLinkState(t *testing.T) {
	live := customer.NewLink("live", t0, 24*time.Hour)
	unverified := customer.Customer{ID: "c", Status: customer.Unverified, Link: &live, VoidedLinks: []string{"old"},
		ExpiresAt: t0.Add(7 * 24 * time.Hour)}
	verified := customer.Customer{ID: "c", Status: customer.Active, VerifiedLink: "live", VoidedLinks: []string{"old"}}
	spentLink := live
	spentLink.Attempts = MaxPasswordTries
	spent := unverified
	spent.Link = &spentLink
	tests := []struct {
		name   string
		c      customer.Customer
		digest string
		at     time.Time
		want   apperr.Code // "" for usable
	}{
		{"the live link of an unverified account is usable", unverified, "live", t0, ""},
		{"a link the account replaced is token_replaced", unverified, "old", t0, apperr.TokenReplaced},
		{"a link the account never had is token_invalid", unverified, "forged", t0, apperr.TokenInvalid},
		{"the live link after its lifetime is token_expired", unverified, "live", t0.Add(24 * time.Hour), apperr.TokenExpired},
		{"a link of an account that outlived its time is token_invalid", unverified, "live", t0.Add(8 * 24 * time.Hour), apperr.TokenInvalid},
		{"a link after five wrong passwords is spent", spent, "live", t0, apperr.TokenInvalid},
		{"the link that verified the account answers kindly", verified, "live", t0, ""},
		{"a replaced link of a verified account answers kindly", verified, "old", t0, ""},
		{"a forged link of a verified account is token_invalid", verified, "forged", t0, apperr.TokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := linkState(tt.c, tt.digest, tt.at)
			got := apperr.Code("")
			if err != nil {
				got = apperr.As(err).Code
			}
			if got != tt.want {
				t.Errorf("linkState = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestIssuingALinkVoidsTheLiveOne(t *testing.T) {
	var c customer.Customer
	for i := range customer.MaxVoidedLinks + 3 {
		l := customer.NewLink(string(rune('a'+i)), t0, time.Hour)
		c.Link, c.VoidedLinks = c.WithLink(l)
	}
	if len(c.VoidedLinks) != customer.MaxVoidedLinks {
		t.Fatalf("voided = %d, want the newest %d", len(c.VoidedLinks), customer.MaxVoidedLinks)
	}
	if last := c.VoidedLinks[len(c.VoidedLinks)-1]; last != string(rune('a'+customer.MaxVoidedLinks+1)) {
		t.Errorf("newest voided = %q, want the link before the live one", last)
	}
	if c.Replaced(c.Link.Digest) {
		t.Error("the live link counts as replaced")
	}
}
