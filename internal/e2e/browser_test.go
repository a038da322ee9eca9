package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/settings"
)

// chromium is a headless Chromium (Debian's chromium, which .ci/run
// installs) for the tests of what browsers enforce and send: Origin and
// Sec-Fetch-Site on form posts, Referrer-Policy, cookies.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium on this machine; .ci/run installs Debian's chromium")
		}
		t.Skip("no Chromium on this machine (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-proxy-server", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// posts records the headers of the form posts a stack's gateway got.
type posts struct {
	mu   sync.Mutex
	seen []http.Header
}

func (p *posts) last() http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.seen) == 0 {
		return http.Header{}
	}
	return p.seen[len(p.seen)-1]
}

// browserStack is a stack whose public API origin is the browser's address
// of its gateway (the pages post there, as deployed), with plain-HTTP
// cookies as make dev sets them, and a storefront on another port. What
// the browser posts to the API is recorded on its way through.
func browserStack(t *testing.T) (*stack, *posts) {
	t.Helper()
	ln, front := listen(t, "127.0.0.1"), listen(t, "127.0.0.1")
	seen := &posts{}
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!DOCTYPE html><title>Shop</title><p id=where>%s</p>", r.URL.Path)
	}))
	t.Cleanup(shop.Close)
	st := newStackOn(t, func(s *settings.Settings) {
		s.URLs = settings.URLs{PublicAPI: "http://" + front.Addr().String(), Storefront: shop.URL, LoginPath: "/login", AccountPath: "/account"}
	}, template(t), ln, false)
	target, _ := url.Parse(st.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	recorder := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			seen.mu.Lock()
			seen.seen = append(seen.seen, r.Header.Clone())
			seen.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	_ = recorder.Listener.Close()
	recorder.Listener = front
	recorder.Start()
	t.Cleanup(recorder.Close)
	st.url = recorder.URL
	return st, seen
}

// TestBrowserFormPosts: in a real browser, the confirm page's own form
// signs the customer in (its post carries the page's origin), and the same
// form posted from a page on another site is refused and changes nothing
// (login CSRF).
func TestBrowserFormPosts(t *testing.T) {
	ctx := chromium(t)
	s, seen := browserStack(t)

	t.Run("the confirm page's own form confirms and signs in", func(t *testing.T) {
		tok := s.registered(t, "browser@example.com")
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.url+"/v1/verify-email?token="+tok),
			chromedp.SendKeys(chromedp.CSS("#password"), "correct horse"),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#where")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		where, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#where")))
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		// Referrer-Policy: same-origin lets the page's post say where it
		// comes from (no-referrer makes it "Origin: null").
		if got := seen.last().Get("Origin"); got != s.url {
			t.Errorf("the page's post said Origin %q, want %q", got, s.url)
		}
		if where != "/account" {
			t.Errorf("the browser landed on %q of the storefront, want /account", where)
		}
		if c, _ := s.customerByEmail("browser@example.com"); c.Status != customer.Active {
			t.Errorf("status after the page's own post: %s", c.Status)
		}
		if !hasCookie(t, ctx, s.url, "cr_session") {
			t.Error("the browser holds no session cookie for the API")
		}
	})

	t.Run("the confirm page's forgotten-password button mails a reset link", func(t *testing.T) {
		tok := s.registered(t, "forgetful@example.com")
		err := chromedp.Do(ctx,
			chromedp.Navigate(s.url+"/v1/verify-email?token="+tok),
			chromedp.Click(chromedp.CSS("button[name=forgot]")),
			chromedp.WaitNotPresent(chromedp.CSS("button[name=forgot]")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "We mailed you a link" {
			t.Errorf("the page says %q", h1)
		}
		link := s.linkToken("forgetful@example.com", "/v1/password-reset")
		if link == "" {
			t.Fatal("no reset link mailed")
		}
		if r := s.postJSON("/v1/password-reset", map[string]any{"token": link, "password": "remembered now"}); r.status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		if c, _ := s.customerByEmail("forgetful@example.com"); c.Status != customer.Active {
			t.Errorf("status after the reset: %s", c.Status)
		}
	})

	t.Run("the same form posted from another site is refused and changes nothing", func(t *testing.T) {
		// The attacker registered an address of their own and posts its
		// token and password from their page, to sign the victim's
		// browser in to the attacker's account.
		if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		tok := s.registered(t, "attacker@example.com")
		ln, err := net.Listen("tcp", "127.0.0.2:0") // another site: another host
		if err != nil {
			t.Fatal(err)
		}
		evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, `<!DOCTYPE html><form id=f method=post action="%s/v1/verify-email">`+
				`<input name=token value="%s"><input name=password value="correct horse"></form>`+
				`<script>document.getElementById('f').submit()</script>`, s.url, tok)
		}))
		_ = evil.Listener.Close()
		evil.Listener = ln
		evil.Start()
		defer evil.Close()
		if err := chromedp.Do(ctx, chromedp.Navigate(evil.URL)); err != nil {
			t.Fatalf("browser: %v", err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.location.href.indexOf("/v1/verify-email") >= 0 && document.readyState == "complete"`)); err != nil {
			t.Fatalf("the attacker's page did not post: %v", err)
		}
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if !strings.Contains(body, "cross_site_request") {
			t.Errorf("the cross-site post answered %q, want the cross_site_request problem", body)
		}
		if c, _ := s.customerByEmail("attacker@example.com"); c.Status != customer.Unverified {
			t.Errorf("the attacker's account is %s after the cross-site post", c.Status)
		}
		if hasCookie(t, ctx, s.url, "cr_session") {
			t.Error("the victim's browser got a session")
		}
	})
}

// registered registers addr and returns the token of its verification link.
func (s *stack) registered(t *testing.T, addr string) string {
	t.Helper()
	if r := s.register(person(addr)); r.status != http.StatusAccepted {
		t.Fatalf("register %s: %d %s", addr, r.status, r.body)
	}
	return s.verificationToken(addr)
}

// hasCookie reports whether the browser holds a cookie named name for url.
func hasCookie(t *testing.T, ctx context.Context, url, name string) bool {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return true
		}
	}
	return false
}

// listen is a listener on a free port of a loopback address (127.0.0.2 is
// another site than 127.0.0.1).
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
