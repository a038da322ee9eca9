package guest_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/openreg/registration/internal/guest"
)

func TestCrawlerList(t *testing.T) {
	if err := guest.CrawlerListError(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("crawlers/crawler-user-agents.json")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Pattern   string   `json:"pattern"`
		Instances []string `json:"instances"`
		Tags      []string `json:"tags"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) < 1000 {
		t.Fatalf("the list has %d crawlers; it looks truncated", len(list))
	}
	for _, c := range list {
		re := regexp.MustCompile(c.Pattern)
		if !guest.Crawls(c.Tags) {
			continue // an HTTP library or browser automation: shoppers' tools, not crawlers
		}
		for _, ua := range c.Instances {
			if !re.MatchString(ua) || !guest.IsCrawler(ua) {
				t.Errorf("%q is listed for %q but not recognised", ua, c.Pattern)
			}
		}
	}
}

func TestIsCrawler(t *testing.T) {
	tests := []struct {
		ua   string
		want bool
	}{
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36", false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", false},
		{"", false},
		{"curl/8.5.0", false},
		{"Go-http-client/1.1", false},
		{"python-requests/2.31.0", false},
	}
	for _, tt := range tests {
		if got := guest.IsCrawler(tt.ua); got != tt.want {
			t.Errorf("IsCrawler(%q) = %v, want %v", tt.ua, got, tt.want)
		}
	}
}

func TestGuestLife(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	life := 30 * 24 * time.Hour
	g := guest.Guest{ID: "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f", ExpiresAt: now.Add(life)}
	tests := []struct {
		name        string
		g           guest.Guest
		at          time.Time
		usable, due bool
	}{
		{"a fresh guest is usable and needs no refresh", g, now, true, false},
		{"a guest seen a day later is refreshed once", g, now.Add(24 * time.Hour), true, true},
		{"an expired guest is no guest", g, now.Add(life), false, true},
		{"a retired guest is no guest", guest.Guest{ID: g.ID, ExpiresAt: g.ExpiresAt, RetiredTo: "c1"}, now, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Usable(tt.at); got != tt.usable {
				t.Errorf("Usable = %v, want %v", got, tt.usable)
			}
			if got := tt.g.RefreshDue(tt.at, life); got != tt.due {
				t.Errorf("RefreshDue = %v, want %v", got, tt.due)
			}
		})
	}
}
