// Package providertest is a CAPTCHA provider's verify endpoint on 127.0.0.1,
// for tests: it takes the form POST the providers document and answers with
// the recorded answers under testdata/ (see its README for where each format
// is documented). Like the real providers it refuses a wrong secret, answers
// "duplicate" for a token it has seen before, and counts what it was sent,
// so tests can check a token is sent once. The token names the case:
// "pass", "fail", "other-host", "low-score", "other-action", optionally
// with "@<action>" (the action the widget was rendered with) and "#n" (to
// make it unique), and "slow" answers after Delay.
package providertest

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openreg/registration/internal/settings"
)

//go:embed testdata
var answers embed.FS

// Server is one provider's verify endpoint.
type Server struct {
	Provider string
	Secret   string
	SiteKey  string
	// URL is the verify endpoint.
	URL string
	// Delay is how long a "slow" token waits before its answer.
	Delay time.Duration

	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]int
	reqs []Received
}

// Received is a verify request as the server saw it (the token included:
// this is the provider's side).
type Received struct {
	Token, RemoteIP, SiteKey string
}

// Start serves provider's endpoint on 127.0.0.1 until the test ends.
func Start(t testing.TB, provider, secret, siteKey string) *Server {
	t.Helper()
	if _, err := answers.ReadDir("testdata/" + provider); err != nil {
		t.Fatalf("providertest: no recorded answers for %q", provider)
	}
	s := &Server{Provider: provider, Secret: secret, SiteKey: siteKey, Delay: 5 * time.Second, seen: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(s.verify)) // on 127.0.0.1
	s.srv, s.URL = srv, srv.URL+"/siteverify"
	t.Cleanup(srv.Close)
	return s
}

// Settings returns a store's CAPTCHA settings for this server, applying
// on, with the secret in a file of the test's (as the local stack keeps
// it) and the recordings' hostname allowed.
func (s *Server) Settings(t testing.TB, on settings.CaptchaOn) *settings.Captcha {
	t.Helper()
	path := filepath.Join(t.TempDir(), "captcha-secret")
	if err := os.WriteFile(path, []byte(s.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &settings.Captcha{Provider: s.Provider, SiteKey: s.SiteKey, Secret: settings.SecretFile + ":" + path,
		VerifyURL: s.URL, Hostnames: []string{"shop.example"}, Timeout: settings.Duration(time.Second), On: on}
	if s.Provider == settings.RecaptchaV3 {
		c.MinScore = settings.DefaultCaptchaMinScore
	}
	return c
}

// Received returns the requests so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.reqs...)
}

// Sent reports how often token was sent.
func (s *Server) Sent(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[token]
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.answer(w, "bad-request", "")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.answer(w, "bad-request", "")
		return
	}
	token := r.PostForm.Get("response")
	s.mu.Lock()
	s.seen[token]++
	times := s.seen[token]
	s.reqs = append(s.reqs, Received{Token: token, RemoteIP: r.PostForm.Get("remoteip"), SiteKey: r.PostForm.Get("sitekey")})
	s.mu.Unlock()

	token, _, _ = strings.Cut(token, "#") // "#n" only makes a token unique
	kase, action, _ := strings.Cut(token, "@")
	switch {
	case r.PostForm.Get("secret") != s.Secret:
		s.answer(w, "bad-secret", "")
	case s.Provider == "hcaptcha" && r.PostForm.Has("sitekey") && r.PostForm.Get("sitekey") != s.SiteKey:
		s.raw(w, `{"success": false, "error-codes": ["sitekey-secret-mismatch"]}`)
	case times > 1:
		s.answer(w, "duplicate", "")
	case kase == "slow":
		select {
		case <-time.After(s.Delay):
		case <-r.Context().Done():
			return
		}
		s.answer(w, "pass", action)
	default:
		s.answer(w, kase, action)
	}
}

// answer writes the recorded answer of a case ("fail" for a case the
// provider has no recording of), with the widget's action when given.
func (s *Server) answer(w http.ResponseWriter, kase, action string) {
	if kase == "bad-request" {
		s.raw(w, `{"success": false, "error-codes": ["bad-request"]}`)
		return
	}
	b, err := answers.ReadFile(fmt.Sprintf("testdata/%s/%s.json", s.Provider, kase))
	if err != nil {
		b, _ = answers.ReadFile(fmt.Sprintf("testdata/%s/fail.json", s.Provider))
	}
	if action != "" {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			if _, has := m["action"]; has {
				m["action"] = action
				b, _ = json.Marshal(m)
			}
		}
	}
	s.raw(w, string(b))
}

func (s *Server) raw(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}
