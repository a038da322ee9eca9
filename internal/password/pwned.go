package password

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// The breachedCheck settings: the bundled list always; "range" also asks
// the Pwned Passwords range API.
const (
	BreachedOffline = ""
	BreachedRange   = "range"
)

// PwnedRangeURL is the Pwned Passwords range API; the first five hex
// characters of the password's SHA-1 are appended.
const PwnedRangeURL = "https://api.pwnedpasswords.com/range/"

// RangeTimeout bounds one question to the range API: a registration waits
// no longer than this for it, and an answer that does not come in time
// refuses nothing.
const RangeTimeout = 1500 * time.Millisecond

// Doer sends HTTP requests (*http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Range asks the Pwned Passwords range API whether a password appeared in
// a breach, by k-anonymity: only the first five hex characters of its
// SHA-1 leave, and the answer lists every known suffix under them (padded
// by the service with zero-count entries, which are ignored). An outage, a
// timeout or an answer it cannot read is logged and refuses nothing.
type Range struct {
	url    string
	client Doer
	log    *slog.Logger
}

// NewRange returns a Range asking url (PwnedRangeURL unless a test says).
func NewRange(url string, client Doer, log *slog.Logger) *Range {
	return &Range{url: url, client: client, log: log}
}

// Breached reports whether the range API knows pw from a breach.
func (r *Range) Breached(ctx context.Context, pw string) bool {
	sum := sha1.Sum([]byte(pw))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	found, err := r.lookup(ctx, h[:5], h[5:])
	if err != nil {
		r.log.WarnContext(ctx, "the Pwned Passwords range API did not answer; the password is not refused for it", "error", err)
		return false
	}
	return found
}

func (r *Range) lookup(ctx context.Context, prefix, suffix string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, RangeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+prefix, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Add-Padding", "true")
	resp, err := r.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("range API answered %s", resp.Status)
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	for sc.Scan() {
		s, count, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if ok && strings.EqualFold(s, suffix) && strings.TrimLeft(count, "0") != "" {
			return true, nil
		}
	}
	return false, sc.Err()
}
