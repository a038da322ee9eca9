// Package pwnedtest is a local Pwned Passwords range API for tests: it
// answers GET <url>/range/<first five hex characters of a SHA-1> the way
// api.pwnedpasswords.com documents, with the upper-case suffixes of the
// passwords it knows, their counts, CRLF line ends, and zero-count padding
// entries when asked for them (Add-Padding: true).
package pwnedtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// API is the local range API.
type API struct {
	*httptest.Server
	mu       sync.Mutex
	breached map[string]int
	asked    []string
	status   int
	delay    time.Duration
}

// Start serves a range API that knows breached (password → count).
func Start(breached map[string]int) *API {
	a := &API{breached: breached}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// RangeURL is the URL to configure (settings passwordPolicy.breachedRangeUrl).
func (a *API) RangeURL() string { return a.URL + "/range/" }

// Fail makes every answer status (0: answer normally).
func (a *API) Fail(status int) { a.mu.Lock(); a.status = status; a.mu.Unlock() }

// Delay holds every answer back for d.
func (a *API) Delay(d time.Duration) { a.mu.Lock(); a.delay = d; a.mu.Unlock() }

// Asked lists the prefixes asked for, oldest first.
func (a *API) Asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.asked...)
}

// SHA1 is a password's SHA-1 in upper-case hex, as the API lists it.
func SHA1(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	prefix := strings.TrimPrefix(r.URL.Path, "/range/")
	a.mu.Lock()
	a.asked = append(a.asked, prefix)
	status, delay := a.status, a.delay
	a.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	var b strings.Builder
	for pw, n := range a.breached {
		if h := SHA1(pw); h[:5] == prefix {
			fmt.Fprintf(&b, "%s:%d\r\n", h[5:], n)
		}
	}
	if r.Header.Get("Add-Padding") == "true" {
		fmt.Fprintf(&b, "%s:0\r\n", strings.Repeat("A", 35))
	}
	_, _ = w.Write([]byte(b.String()))
}
