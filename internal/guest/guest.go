// Package guest holds the shopper who has no account yet: the guest record,
// its lifetime, and which requests never get one (search-engine crawlers).
// The seed system gives every request a customer; here a guest exists once
// it has something to keep (a cart, an affiliate) and lives until it has
// been idle for a settable time or becomes a customer (retired).
package guest

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"time"

	"github.com/openreg/registration/internal/customer"
)

// Guest is a shopper without an account.
type Guest struct {
	ID          string
	AffiliateID string
	CreatedAt   time.Time
	// ExpiresAt is when the guest is gone unless seen again; a read
	// refreshes it at most once a day (RefreshDue).
	ExpiresAt time.Time
	// RetiredTo is the customer the guest became (its cart and affiliate
	// went there); a retired guest is no guest any more.
	RetiredTo string
}

// ErrNotFound is returned by stores for a guest that does not exist.
var ErrNotFound = errors.New("guest: not found")

// Usable reports whether g can stand for the request at now: it exists, is
// not retired and has not expired. Anything else is treated as no guest.
func (g Guest) Usable(now time.Time) bool {
	return g.ID != "" && g.RetiredTo == "" && now.Before(g.ExpiresAt)
}

// refreshEvery bounds how often a guest's lifetime is extended: at most
// once a day, so that reading a guest stays a read.
const refreshEvery = 24 * time.Hour

// RefreshDue reports whether a guest seen at now should have its lifetime
// extended to now+lifetime.
func (g Guest) RefreshDue(now time.Time, lifetime time.Duration) bool {
	return now.Add(lifetime).Sub(g.ExpiresAt) >= refreshEvery
}

// ValidID reports whether a guest id could be genuine (guest ids are
// customer-style UUIDs); anything else is no guest, without a lookup.
func ValidID(id string) bool { return customer.ValidID(id) }

// MaxAffiliateLength bounds an affiliate id.
const MaxAffiliateLength = 64

var affiliatePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// AffiliateProblem returns a field problem for an affiliate id, or "".
func AffiliateProblem(id string) (code, message string) {
	if id != "" && !affiliatePattern.MatchString(id) {
		return "invalid_affiliate", "An affiliate id is 1-64 letters, digits, '_', '.' or '-'."
	}
	return "", ""
}

//go:embed crawlers/crawler-user-agents.json
var crawlerList embed.FS

// matcher finds any of the crawler patterns in a user agent. Nearly all
// patterns are plain text: those are looked up by their first two bytes at
// each position of the agent (one map lookup per byte); the few real
// regular expressions are one alternation. A browser's agent, the common
// case, is checked in microseconds (BenchmarkIsCrawler).
type matcher struct {
	byPrefix map[[2]byte][]string
	short    []string // one-byte literals
	rest     *regexp.Regexp
}

func (m *matcher) match(ua string) bool {
	for i := 0; i+1 < len(ua); i++ {
		for _, lit := range m.byPrefix[[2]byte{ua[i], ua[i+1]}] {
			if strings.HasPrefix(ua[i:], lit) {
				return true
			}
		}
	}
	for _, lit := range m.short {
		if strings.Contains(ua, lit) {
			return true
		}
	}
	return m.rest != nil && m.rest.MatchString(ua)
}

var crawlers = sync.OnceValues(func() (*matcher, error) {
	raw, err := crawlerList.ReadFile("crawlers/crawler-user-agents.json")
	if err != nil {
		return nil, err
	}
	var list []struct {
		Pattern string   `json:"pattern"`
		Tags    []string `json:"tags"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("guest: crawler list: %w", err)
	}
	m := &matcher{byPrefix: map[[2]byte][]string{}}
	var others []string
	for _, c := range list {
		if !Crawls(c.Tags) {
			continue
		}
		re, err := syntax.Parse(c.Pattern, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("guest: crawler pattern %q: %w", c.Pattern, err)
		}
		switch lit := string(re.Rune); {
		case re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 && len(lit) >= 2:
			k := [2]byte{lit[0], lit[1]}
			m.byPrefix[k] = append(m.byPrefix[k], lit)
		case re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0:
			m.short = append(m.short, lit)
		default:
			others = append(others, "(?:"+c.Pattern+")")
		}
	}
	if len(others) > 0 {
		if m.rest, err = regexp.Compile(strings.Join(others, "|")); err != nil {
			return nil, fmt.Errorf("guest: crawler patterns: %w", err)
		}
	}
	return m, nil
})

// notCrawlers are the list's tags of agents that are not crawlers to us:
// HTTP libraries (a storefront's own servers call the API with them) and
// browser automation (a storefront's end-to-end tests).
var notCrawlers = []string{"http-library", "browser-automation"}

// Crawls reports whether an entry of the list with tags is a crawler.
func Crawls(tags []string) bool {
	for _, t := range tags {
		for _, n := range notCrawlers {
			if t == n {
				return false
			}
		}
	}
	return true
}

// IsCrawler reports whether a user agent is a known crawler
// (crawlers/README.md says where the list comes from).
func IsCrawler(userAgent string) bool {
	m, err := crawlers()
	if err != nil || userAgent == "" {
		return false
	}
	return m.match(userAgent)
}

// CrawlerListError reports whether the embedded list failed to load (a
// start-up check: a broken list must stop a deploy, not silently let
// crawlers make guests).
func CrawlerListError() error {
	_, err := crawlers()
	return err
}
