package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/apperr"
	"github.com/openreg/registration/internal/settings"
)

// decodesLikeBodies checks a request body type: a body that decodes is
// encoded and decoded back to the same value (nothing is lost or invented on
// the way in), and a body that does not is a 4xx, never a 5xx.
func decodesLikeBodies[T any](t *testing.T, body []byte) {
	var b T
	err := decodeStrict(body, &b)
	if err != nil {
		if s := StatusOf(apperr.CodeOf(err)); s < 400 || s >= 500 {
			t.Errorf("body %q gave status %d (%v)", body, s, err)
		}
		return
	}
	// A body that decodes names every field exactly, once: a parser that
	// matches case, or takes the first of two keys, reads what we read.
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) == nil {
		names := map[string]reflect.Type{}
		jsonFields(reflect.TypeFor[T](), names)
		for k := range keys {
			if _, ok := names[k]; !ok {
				t.Errorf("body %q decoded with the key %q, which is no field's exact name", body, k)
			}
		}
	}
	again, err := json.Marshal(b)
	if err != nil {
		t.Fatalf("re-encoding %+v: %v", b, err)
	}
	var back T
	err = decodeStrict(again, &back)
	// An empty list or map means what an absent one means (the request
	// asks for nothing there), and encodes as absent: compare them alike.
	emptyIsAbsent(reflect.ValueOf(&b).Elem())
	emptyIsAbsent(reflect.ValueOf(&back).Elem())
	if err != nil || !reflect.DeepEqual(b, back) {
		t.Errorf("body %q decoded to %+v, which round-trips to %+v (%v)", body, b, back, err)
	}
}

// emptyIsAbsent sets every empty map and slice in v (a settable value) to
// nil, at any depth.
func emptyIsAbsent(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			emptyIsAbsent(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				emptyIsAbsent(f)
			}
		}
	case reflect.Map, reflect.Slice:
		if !v.IsNil() && v.Len() == 0 {
			v.SetZero()
		} else if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				emptyIsAbsent(v.Index(i))
			}
		}
	}
}

func FuzzDecodeSignIn(f *testing.F) {
	for _, seed := range []string{`{"login":"a@b.co","password":"x","rememberMe":true,"returnUrl":"/a"}`, `{"login":1}`, `{}`, `{"rememberMe":"yes"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { decodesLikeBodies[signInBody](t, body) })
}

func FuzzDecodeVerify(f *testing.F) {
	for _, seed := range []string{`{"token":"a.b","password":"x"}`, `{"token":null}`, `{"password":[]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { decodesLikeBodies[verifyBody](t, body) })
}

func FuzzDecodeResend(f *testing.F) {
	for _, seed := range []string{`{"email":"a@b.co"}`, `{"email":""}`, `{"email":{}}`, `{"email":"a","x":1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) { decodesLikeBodies[resendBody](t, body) })
}

func FuzzDecodeRegisterRoundTrip(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.co","password":"x","attributes":{"a":"b"},"consents":{"t":true},"newsletters":["n"]}`))
	f.Fuzz(func(t *testing.T, body []byte) { decodesLikeBodies[registerBody](t, body) })
}

// FuzzConfirmForm: whatever a confirm page's form post carries as its
// token, the page it is shown again on (after a wrong password) holds it
// escaped: the page has exactly the markup of a page with a plain token.
func FuzzConfirmForm(f *testing.F) {
	for _, seed := range []string{"token=a.b&password=x", "token=%22%3E%3Cscript%3E", "token=%zz", "password=<b>&token=\"><x"} {
		f.Add(seed)
	}
	a := New(Deps{Settings: settings.Default(), Pages: testPages(), Log: slog.New(slog.DiscardHandler)})
	plain := a.renderPage(200, pageView{Lang: "en", State: stateForm, Token: "a.b", Mismatch: true}).Body
	if !strings.Contains(plain, `<form method="post"`) {
		f.Fatalf("the confirm page did not render:\n%s", plain)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := url.ParseQuery(body)
		if err != nil {
			return // the route answers 400 malformed_body
		}
		tok := vals.Get("token")
		if tok == "" {
			return
		}
		page := a.renderPage(200, pageView{Lang: "en", State: stateForm, Token: tok, Mismatch: true}).Body
		if strings.Count(page, "<") != strings.Count(plain, "<") || strings.Count(page, `"`) != strings.Count(plain, `"`) {
			t.Errorf("token %q changed the page's markup:\n%s", tok, page)
		}
	})
}

// FuzzLanguages: any Accept-Language header gives well-formed tags, and the
// store's choice among them is always one of its languages.
func FuzzLanguages(f *testing.F) {
	for _, seed := range []string{"de-CH, fr;q=0.9, *;q=0.1", "", ";;;q=x", "zh-Hant-TW", strings.Repeat("en,", 300)} {
		f.Add(seed)
	}
	s := settings.Default()
	s.Languages = []string{"en", "de"}
	f.Fuzz(func(t *testing.T, header string) {
		r := newRequest(events.APIGatewayV2HTTPRequest{Headers: map[string]string{"accept-language": header}})
		got := s.Language(r.Languages())
		if got != "en" && got != "de" {
			t.Errorf("header %q chose %q, not a supported language", header, got)
		}
	})
}

// FuzzSessionToken: whatever the cookies and the Authorization header hold,
// reading the session token never panics and yields what one of them
// carried.
func FuzzSessionToken(f *testing.F) {
	f.Add("cr_session=abc; other=1", "Bearer xyz")
	f.Add("__Host-cr_session=a", "")
	f.Add("=;;=", "Bearer")
	f.Fuzz(func(t *testing.T, cookie, auth string) {
		r := newRequest(events.APIGatewayV2HTTPRequest{Cookies: strings.Split(cookie, ";"), Headers: map[string]string{"authorization": auth}})
		got := r.SessionToken()
		if got != "" && !strings.Contains(cookie, got) && !strings.Contains(auth, got) {
			t.Errorf("cookies %q and authorization %q gave the token %q from neither", cookie, auth, got)
		}
	})
}

// The bodies of My account, guests and carts, and the back office.
func FuzzDecodeAccountBodies(f *testing.F) {
	for _, seed := range []string{`{"firstName":"Ada","newsletters":[],"attributes":{"a":true}}`, `{"firstName":null}`,
		`{"currentPassword":"a","newPassword":"b"}`, `{"newEmail":"a@b.co","password":"x"}`, `{"password":1}`,
		`{"token":"a.b","password":"x"}`, `{"email":"a@b.co"}`, `{"quantity":2}`, `{"quantity":1.5}`, `{"affiliateId":"p"}`,
		`{"email":"a@b.co","username":"u","password":"p","firstName":"F","language":"de","attributes":{"x":"y"}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodesLikeBodies[profilePatchBody](t, body)
		decodesLikeBodies[passwordChangeBody](t, body)
		decodesLikeBodies[emailChangeBody](t, body)
		decodesLikeBodies[tokenPasswordBody](t, body)
		decodesLikeBodies[resetRequestBody](t, body)
		decodesLikeBodies[passwordBody](t, body)
		decodesLikeBodies[quantityBody](t, body)
		decodesLikeBodies[guestBody](t, body)
		decodesLikeBodies[adminCreateBody](t, body)
	})
}

// The v1.2 bodies: codes and passkeys (the WebAuthn answers themselves are
// fuzzed in package passkey).
func FuzzDecodeCodeAndPasskeyBodies(f *testing.F) {
	for _, seed := range []string{`{"email":"a@b.co","code":"123 456","password":"x"}`, `{"login":"a@b.co","code":"000000"}`,
		`{"email":"a@b.co"}`, `{"password":"x"}`, `{"credential":{"id":"AA","type":"public-key","response":{}},"name":"Laptop"}`,
		`{"challengeId":"x","credential":{}}`, `{"credential":7}`, `{"code":null}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodesLikeBodies[verifyBody](t, body)
		decodesLikeBodies[signInBody](t, body)
		decodesLikeBodies[signInCodeBody](t, body)
		decodesLikeBodies[passkeyOptionsBody](t, body)
		decodesLikeBodies[newPasskeyBody](t, body)
		decodesLikeBodies[passkeySessionBody](t, body)
	})
}

// FuzzMatchPath: a path a route template matches is that template with its
// values put back (escaped), so a route never matches a path it does not
// describe, and a value never spans segments.
func FuzzMatchPath(f *testing.F) {
	for _, seed := range []string{"/v1/cart/items/SKU-1", "/v1/cart/items/a%2Fb", "/v1/cart/items/", "/v1/cart/items/a/b",
		"/v1/admin/customers/x/approve", "/v1/admin/customers//approve"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		for _, rt := range Routes {
			params, ok := MatchPath(rt.Path, path)
			if !ok || params == nil {
				continue
			}
			back := rt.Path
			for k, v := range params {
				if v == "" {
					t.Errorf("%s matched %q with an empty %s", rt.Path, path, k)
				}
				back = strings.ReplaceAll(back, "{"+k+"}", url.PathEscape(v))
			}
			if got, _ := url.PathUnescape(back); got != mustUnescape(path) {
				t.Errorf("%s matched %q as %v, which makes %q", rt.Path, path, params, back)
			}
		}
	})
}

func mustUnescape(p string) string {
	if s, err := url.PathUnescape(p); err == nil {
		return s
	}
	return p
}
