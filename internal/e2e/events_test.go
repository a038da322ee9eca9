package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/openreg/registration/internal/app"
	"github.com/openreg/registration/internal/app/mailapp"
	"github.com/openreg/registration/internal/captcha"
	"github.com/openreg/registration/internal/config"
	"github.com/openreg/registration/internal/functions"
)

func loadEvent(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not a valid %T: %v", name, v, err)
	}
}

// TestSampleEvents feeds the payloads under events/ (the ones `sam local
// invoke` uses) straight to the Lambda handlers, without the gateway.
func TestSampleEvents(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	invoke := func(fn, file string) events.APIGatewayV2HTTPResponse {
		t.Helper()
		var ev events.APIGatewayV2HTTPRequest
		loadEvent(t, file, &ev)
		resp, err := s.functions[fn](ctx, ev)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return resp
	}
	steps := []struct {
		fn, file   string
		wantStatus int
		check      func(t *testing.T, r events.APIGatewayV2HTTPResponse)
	}{
		{functions.Register, "registration-form.json", 200, nil},
		{functions.Register, "register.json", 202, nil},
		{functions.VerifyEmail, "verify-email-page.json", 200, func(t *testing.T, r events.APIGatewayV2HTTPResponse) {
			if !strings.Contains(r.Body, `<button type="submit">Confirm</button>`) {
				t.Errorf("page = %s", r.Body)
			}
		}},
		{functions.VerifyEmail, "verify-email-head.json", 200, func(t *testing.T, r events.APIGatewayV2HTTPResponse) {
			if r.Body != "" {
				t.Errorf("HEAD answered with a body")
			}
		}},
		{functions.VerifyEmail, "verify-email-json.json", 400, nil},
		{functions.VerifyEmail, "verify-email-resend.json", 202, nil},
		{functions.VerifyEmail, "verify-email-form.json", 400, func(t *testing.T, r events.APIGatewayV2HTTPResponse) {
			if !strings.Contains(r.Body, "This link is not valid") {
				t.Errorf("a base64 form body was not decoded: %s", r.Body)
			}
		}},
		// The same form posted by a page on another site (login CSRF).
		{functions.VerifyEmail, "verify-email-form-cross-site.json", 403, func(t *testing.T, r events.APIGatewayV2HTTPResponse) {
			if !strings.Contains(r.Body, "cross_site_request") {
				t.Errorf("body = %s", r.Body)
			}
		}},
		{functions.SignIn, "sign-in.json", 401, nil}, // registered, not yet verified: like a wrong password
		{functions.SignIn, "me.json", 401, nil},
		{functions.SignIn, "sign-out.json", 204, nil},
		{functions.SignIn, "sign-out-everywhere.json", 401, nil}, // the sample's token names no session
		{functions.Account, "export.json", 401, nil},
		{functions.Account, "password-reset-request.json", 202, nil},
		{functions.Account, "password-reset-page.json", 200, func(t *testing.T, r events.APIGatewayV2HTTPResponse) {
			if !strings.Contains(r.Body, `autocomplete="new-password"`) {
				t.Errorf("page = %s", r.Body)
			}
		}},
		{functions.Account, "password-reset-json.json", 400, nil}, // a well-formed token of no account
		{functions.Admin, "admin-list-customers.json", 200, nil},
		{functions.Cart, "guest-create.json", 201, nil},
		{functions.Cart, "cart.json", 200, nil},
		// The sample's guest does not exist: the line goes to a new guest.
		{functions.Cart, "cart-put-item.json", 200, func(t *testing.T, r events.APIGatewayV2HTTPResponse) {
			if r.Headers["X-Guest-Id"] == "" || r.Headers["X-Guest-Id"] == "0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f" {
				t.Errorf("guest = %q; want a new one", r.Headers["X-Guest-Id"])
			}
		}},
	}
	for _, st := range steps {
		t.Run(st.file+" answers as the contract says", func(t *testing.T) {
			r := invoke(st.fn, st.file)
			if r.StatusCode != st.wantStatus {
				t.Fatalf("status = %d, want %d: %s", r.StatusCode, st.wantStatus, r.Body)
			}
			if st.check != nil {
				st.check(t, r)
			}
		})
	}

	t.Run("sign-in.json signs in once the address is confirmed", func(t *testing.T) {
		tok := s.verificationToken("ada@example.com")
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse battery"}); r.status != 200 {
			t.Fatalf("verify: %d", r.status)
		}
		r := invoke(functions.SignIn, "sign-in.json")
		// The session, and the new device's token.
		if r.StatusCode != 200 || len(r.Cookies) != 2 || !strings.HasPrefix(r.Cookies[0], "__Host-cr_session=") ||
			!strings.HasPrefix(r.Cookies[1], "cr_device=d1.") {
			t.Fatalf("sign-in: %d %v %s", r.StatusCode, r.Cookies, r.Body)
		}
		var b map[string]any
		_ = json.Unmarshal([]byte(r.Body), &b)
		if b["redirect"] != "/checkout" {
			t.Errorf("redirect = %v", b["redirect"])
		}
	})

	t.Run("mailer-sqs-batch.json sends both mails", func(t *testing.T) {
		var ev events.SQSEvent
		loadEvent(t, "mailer-sqs-batch.json", &ev)
		consumer, err := mailapp.New(config.Config{Settings: s.settings, Table: s.res.Table}, s.clients.DynamoDB, s.clients.SES, captcha.Sources{},
			app.Runtime{Log: discardLog(), Now: s.clock.Now, Random: rand.Reader})
		if err != nil {
			t.Fatal(err)
		}
		before := len(s.mailsTo("grace@example.com"))
		resp, err := consumer.Handle(ctx, ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("handle: %v %+v", err, resp)
		}
		if got := len(s.mailsTo("grace@example.com")); got != before+1 {
			t.Errorf("mails to grace = %d, want %d", got, before+1)
		}
	})

}
