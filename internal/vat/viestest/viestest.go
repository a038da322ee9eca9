// Package viestest is the VIES REST API on 127.0.0.1, for tests: it answers
// GET /ms/{country}/vat/{number} with the recorded answers under testdata/
// (see its README), the case chosen per number, and counts the calls.
package viestest

import (
	"embed"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed testdata/*.json
var answers embed.FS

// Cases.
const (
	Valid          = "valid"
	ValidNoDetails = "valid-no-details"
	Invalid        = "invalid"
	MSUnavailable  = "ms-unavailable"
	// ErrorDocument answers the API's error document with HTTP 200.
	ErrorDocument = "error-document"
	// Slow answers valid after Delay; Down answers HTTP 500.
	Slow = "slow"
	Down = "down"
)

// Server is the API.
type Server struct {
	// URL is the API's base URL (settings.Vat.ViesURL).
	URL   string
	Delay time.Duration

	mu    sync.Mutex
	cases map[string]string
	calls map[string]int
}

// Start serves the API until the test ends; numbers without a case are
// invalid.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{Delay: 5 * time.Second, cases: map[string]string{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve)) // on 127.0.0.1
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/taxation_customs/vies/rest-api"
	return s
}

// Answer makes the server answer number (country prefix included) with a
// case from now on.
func (s *Server) Answer(number, kase string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cases[number] = kase
}

// Calls reports how often number was asked about.
func (s *Server) Calls(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[number]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/taxation_customs/vies/rest-api/ms/")
	country, national, ok2 := strings.Cut(rest, "/vat/")
	if r.Method != http.MethodGet || !ok || !ok2 {
		http.NotFound(w, r)
		return
	}
	number := country + national
	s.mu.Lock()
	s.calls[number]++
	kase := s.cases[number]
	s.mu.Unlock()
	switch kase {
	case "":
		kase = Invalid
	case Down:
		http.Error(w, `{"actionSucceed":false,"errorWrappers":[{"error":"SERVICE_UNAVAILABLE"}]}`, http.StatusInternalServerError)
		return
	case Slow:
		select {
		case <-time.After(s.Delay):
		case <-r.Context().Done():
			return
		}
		kase = Valid
	}
	b, err := answers.ReadFile("testdata/" + kase + ".json")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
