package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/openreg/registration/internal/settings"
)

// A browser storefront as shops build them: a page on its own origin
// (http://shop.localhost:P) calling the API on another origin of the same
// site (http://api.shop.localhost:Q) with fetch and the session cookie.
// `*.localhost` names loopback in Chromium and counts as a secure context,
// so the browser sends what it sends a deployed shop: Origin, Sec-Fetch-*,
// CORS preflights, SameSite cookies.

// storefrontPage is the shop's page: call(method, path, body) is the
// storefront developer's fetch, answering {status, body} or {error}.
const storefrontPage = `<!DOCTYPE html><title>Shop</title><p id=where>%s</p>
<script>
const API = %q;
window.call = async (method, path, body) => {
  try {
    const r = await fetch(API + path, {method, credentials: "include",
      headers: body === undefined ? {} : {"content-type": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body)});
    return {status: r.status, body: await r.text()};
  } catch (e) {
    return {error: String(e)};
  }
};
// addPasskey and passkeySignIn are the shop's passkey buttons: the API's
// WebAuthn JSON through the browser's own parsers and authenticator, and
// PublicKeyCredential.toJSON() back. They answer the last call's
// {status, body} or {error}, and the step they stopped at.
window.addPasskey = async (password, name) => {
  const o = await call("POST", "/v1/customers/me/passkeys/options", {password});
  if (o.status !== 200) return {step: "options", ...o};
  let credential;
  try {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(o.body).publicKey);
    credential = (await navigator.credentials.create({publicKey})).toJSON();
  } catch (e) {
    return {step: "create", error: String(e)};
  }
  return {step: "add", ...await call("POST", "/v1/customers/me/passkeys", {credential, name})};
};
window.passkeySignIn = async () => {
  const o = await call("POST", "/v1/passkey-sessions/options");
  if (o.status !== 200) return {step: "options", ...o};
  let challengeId, credential;
  try {
    const opts = JSON.parse(o.body);
    challengeId = opts.challengeId;
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(opts.publicKey);
    credential = (await navigator.credentials.get({publicKey})).toJSON();
  } catch (e) {
    return {step: "get", error: String(e)};
  }
  return {step: "sign-in", ...await call("POST", "/v1/passkey-sessions", {challengeId, credential})};
};
</script>`

// fetched is what call answered.
type fetched struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

// ceremony is what addPasskey or passkeySignIn answered.
type ceremony struct {
	fetched
	Step string `json:"step"`
}

// servePage serves the storefront page on ln, the path in #where.
func servePage(t *testing.T, ln net.Listener, api string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, storefrontPage, r.URL.Path, api)
	}))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// screenshotOnFailure keeps a failed browser test's last screen under the
// test's output directory (go test -artifacts).
func screenshotOnFailure(t *testing.T, ctx context.Context) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
		if err != nil {
			t.Logf("no screenshot: %v", err)
			return
		}
		path := filepath.Join(t.ArtifactDir(), "screen.png")
		if err := os.WriteFile(path, png, 0o644); err == nil {
			t.Logf("screenshot: %s", path)
		}
	})
}

// TestStorefrontInABrowser: a customer registers on the shop's page, opens
// the mailed link, types the password and confirms, lands on the shop,
// which reads the account with the cookie, adds to the cart, signs out
// and signs in again; a page on another site can neither read the customer
// nor sign them out. Then, with Chromium's virtual authenticator, the
// customer adds a passkey on the shop's page, signs out, signs in with it
// and finds it in the list.
func TestStorefrontInABrowser(t *testing.T) {
	ctx := chromium(t)
	screenshotOnFailure(t, ctx)
	apiLn, shopLn := listen(t, "127.0.0.1"), listen(t, "127.0.0.1")
	api := fmt.Sprintf("http://api.shop.localhost:%d", apiLn.Addr().(*net.TCPAddr).Port)
	shop := fmt.Sprintf("http://shop.localhost:%d", shopLn.Addr().(*net.TCPAddr).Port)
	s := newStackOn(t, func(st *settings.Settings) {
		st.URLs = settings.URLs{PublicAPI: api, Storefront: shop, LoginPath: "/login", AccountPath: "/account"}
	}, template(t), apiLn, false)
	servePage(t, shopLn, api)
	call := func(t *testing.T, method, path string, body any) fetched {
		t.Helper()
		args, _ := json.Marshal([]any{method, path, body})
		if body == nil {
			args, _ = json.Marshal([]any{method, path})
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[fetched](fmt.Sprintf("call(...%s)", args), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return got
	}
	expect := func(t *testing.T, f fetched, status int) {
		t.Helper()
		if f.Status != status {
			t.Fatalf("answered %d %s %s, want %d", f.Status, f.Body, f.Error, status)
		}
	}
	const email, password = "shopper@example.com", "correct horse"

	t.Run("the shop registers a customer with fetch", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(shop+"/")); err != nil {
			t.Fatal(err)
		}
		expect(t, call(t, "POST", "/v1/customers", person(email)), http.StatusAccepted)
	})

	t.Run("the customer opens the mailed link, confirms and lands on the shop", func(t *testing.T) {
		link := s.mailedLink(email, "/v1/verify-email")
		if u, err := url.Parse(link); err != nil || u.Scheme+"://"+u.Host != api {
			t.Fatalf("mailed link %q does not point at the API %s", link, api)
		}
		err := chromedp.Do(ctx,
			chromedp.Navigate(link),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("#where")),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		where, _ := chromedp.Run(ctx, chromedp.Location())
		if where != shop+"/account" {
			t.Errorf("landed on %s, want %s/account", where, shop)
		}
	})

	t.Run("the shop reads the account with the cookie and fills the cart", func(t *testing.T) {
		me := call(t, "GET", "/v1/customers/me", nil)
		expect(t, me, http.StatusOK)
		var acc map[string]any
		if err := json.Unmarshal([]byte(me.Body), &acc); err != nil || acc["email"] != email {
			t.Errorf("me = %s", me.Body)
		}
		expect(t, call(t, "PUT", "/v1/cart/items/SKU-1", map[string]int{"quantity": 2}), http.StatusOK)
	})

	t.Run("a page on another site can neither read the customer nor sign them out", func(t *testing.T) {
		evil := servePage(t, listen(t, "127.0.0.2"), api)
		if err := chromedp.Do(ctx, chromedp.Navigate(evil+"/")); err != nil {
			t.Fatal(err)
		}
		if got := call(t, "GET", "/v1/customers/me", nil); got.Error == "" {
			t.Errorf("another site read the account: %d %s", got.Status, got.Body)
		}
		if got := call(t, "DELETE", "/v1/sessions/current", nil); got.Error == "" {
			t.Errorf("another site's sign-out was answered: %d %s", got.Status, got.Body)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(shop+"/")); err != nil {
			t.Fatal(err)
		}
		expect(t, call(t, "GET", "/v1/customers/me", nil), http.StatusOK)
	})

	t.Run("the shop signs out and signs in again", func(t *testing.T) {
		expect(t, call(t, "DELETE", "/v1/sessions/current", nil), http.StatusNoContent)
		expect(t, call(t, "GET", "/v1/customers/me", nil), http.StatusUnauthorized)
		expect(t, call(t, "POST", "/v1/sessions", map[string]string{"login": email, "password": password}), http.StatusOK)
		expect(t, call(t, "GET", "/v1/customers/me", nil), http.StatusOK)
		cart := call(t, "GET", "/v1/cart", nil)
		expect(t, cart, http.StatusOK)
		var c struct {
			Items []struct {
				SKU      string `json:"sku"`
				Quantity int    `json:"quantity"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(cart.Body), &c); err != nil || len(c.Items) != 1 || c.Items[0].Quantity != 2 {
			t.Errorf("cart after signing in again = %s", cart.Body)
		}
	})

	var authenticator webauthn.AuthenticatorID
	t.Run("the customer adds a passkey with the browser's authenticator", func(t *testing.T) {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			t.Fatalf("WebAuthn.enable: %v", err)
		}
		added, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
				HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			}})
		if err != nil {
			t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
		}
		authenticator = added.AuthenticatorID
		if err := chromedp.Do(ctx, chromedp.Navigate(shop+"/account")); err != nil {
			t.Fatal(err)
		}
		got := passkeyCeremony(t, ctx, fmt.Sprintf("addPasskey(%q, %q)", password, "This browser"))
		if got.Step != "add" || got.Status != http.StatusCreated {
			t.Fatalf("adding a passkey stopped at %s: %d %s %s", got.Step, got.Status, got.Body, got.Error)
		}
	})

	t.Run("the customer signs out and signs in with the passkey", func(t *testing.T) {
		expect(t, call(t, "DELETE", "/v1/sessions/current", nil), http.StatusNoContent)
		expect(t, call(t, "GET", "/v1/customers/me", nil), http.StatusUnauthorized)
		got := passkeyCeremony(t, ctx, "passkeySignIn()")
		if got.Step != "sign-in" || got.Status != http.StatusOK {
			t.Fatalf("signing in with the passkey stopped at %s: %d %s %s", got.Step, got.Status, got.Body, got.Error)
		}
		me := call(t, "GET", "/v1/customers/me", nil)
		expect(t, me, http.StatusOK)
		var acc map[string]any
		if err := json.Unmarshal([]byte(me.Body), &acc); err != nil || acc["email"] != email {
			t.Errorf("me after the passkey sign-in = %s", me.Body)
		}
	})

	t.Run("the list shows the passkey", func(t *testing.T) {
		list := call(t, "GET", "/v1/customers/me/passkeys", nil)
		expect(t, list, http.StatusOK)
		var l struct {
			Passkeys []struct {
				ID         string `json:"id"`
				Name       string `json:"name"`
				LastUsedAt string `json:"lastUsedAt"`
			} `json:"passkeys"`
		}
		if err := json.Unmarshal([]byte(list.Body), &l); err != nil || len(l.Passkeys) != 1 ||
			l.Passkeys[0].ID == "" || l.Passkeys[0].Name != "This browser" || l.Passkeys[0].LastUsedAt == "" {
			t.Fatalf("passkeys = %s, want the one added, named and used", list.Body)
		}
		held, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authenticator})
		if err != nil {
			t.Fatalf("WebAuthn.getCredentials: %v", err)
		}
		if len(held.Credentials) != 1 || held.Credentials[0].RpID != "shop.localhost" || !held.Credentials[0].IsResidentCredential ||
			base64.RawURLEncoding.EncodeToString(held.Credentials[0].CredentialID) != l.Passkeys[0].ID {
			t.Errorf("the authenticator holds %d credentials (first %+v), want the listed %s, resident, for shop.localhost",
				len(held.Credentials), held.Credentials, l.Passkeys[0].ID)
		}
	})
}

// passkeyCeremony runs one of the page's passkey buttons.
func passkeyCeremony(t *testing.T, ctx context.Context, script string) ceremony {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[ceremony](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return got
}
