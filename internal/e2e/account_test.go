package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/devstack"
)

// session signs in and returns the session token.
func (s *stack) session(login, pw string) string {
	s.t.Helper()
	r := s.signIn(login, pw)
	tok, _ := r.json(s.t)["sessionToken"].(string)
	if r.status != http.StatusOK || tok == "" {
		s.t.Fatalf("sign-in %s: %d %s", login, r.status, r.body)
	}
	return tok
}

// linkToken delivers mail and returns the token of the newest link to path
// mailed to addr, or "" when there is none.
func (s *stack) linkToken(addr, path string) string {
	s.t.Helper()
	u, err := url.Parse(s.mailedLink(addr, path))
	if err != nil {
		return ""
	}
	return u.Query().Get("token")
}

// mailedLink delivers mail and returns the newest link to path mailed to
// addr ("" when none was).
func (s *stack) mailedLink(addr, path string) string {
	s.t.Helper()
	s.deliverMail()
	mails := s.mailsTo(addr)
	for i := len(mails) - 1; i >= 0; i-- {
		for _, l := range mails[i].Links {
			if u, err := url.Parse(l); err == nil && u.Path == path {
				return l
			}
		}
	}
	return ""
}

// as is a header carrying a session token.
func as(tok string) string { return "Authorization: Bearer " + tok }

func (s *stack) me(tok string) response {
	s.t.Helper()
	return s.do(http.MethodGet, "/v1/customers/me", "", nil, as(tok))
}

// subjectsTo are the subjects of the mails addr got.
func (s *stack) subjectsTo(addr string) []string {
	var out []string
	for _, m := range s.mailsTo(addr) {
		out = append(out, m.Subject)
	}
	return out
}

// wantMailAbout delivers the mail and fails the test unless addr got one
// whose subject holds about.
func (s *stack) wantMailAbout(t *testing.T, addr, about string) {
	t.Helper()
	s.deliverMail()
	if subj := strings.Join(s.subjectsTo(addr), " | "); !strings.Contains(subj, about) {
		t.Errorf("no mail about %q; subjects: %s", about, subj)
	}
}

func TestForgottenPassword(t *testing.T) {
	s := newStack(t, nil)
	email := "forgot@example.com"
	first := s.activeCustomer(email, "old password")
	second := s.session(email, "old password")

	before := s.items()
	known := s.postJSON("/v1/password-resets", map[string]any{"email": " Forgot@Example.com "})
	afterKnown := s.items()
	unknown := s.postJSON("/v1/password-resets", map[string]any{"email": "nobody-forgot@example.com"})
	afterUnknown := s.items()
	if known.status != http.StatusAccepted || unknown.status != known.status || string(unknown.body) != string(known.body) {
		t.Fatalf("reset requests: %d %s vs %d %s; want the same 202", known.status, known.body, unknown.status, unknown.body)
	}
	if afterKnown-before != afterUnknown-afterKnown {
		t.Errorf("a request for an account wrote %d items, one for an unknown address %d", afterKnown-before, afterUnknown-afterKnown)
	}
	tok := s.linkToken(email, "/v1/password-reset")
	if tok == "" {
		t.Fatalf("no reset mail; mails: %v", s.subjectsTo(email))
	}
	if n := len(s.mailsTo("nobody-forgot@example.com")); n != 0 {
		t.Errorf("an unknown address got %d mails", n)
	}

	page := s.do(http.MethodGet, "/v1/password-reset?token="+url.QueryEscape(tok), "", nil)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), `action="https://api.shop.example/v1/password-reset"`) {
		t.Fatalf("reset page: %d %s", page.status, page.body)
	}
	if r := s.signIn(email, "old password"); r.status != http.StatusOK {
		t.Fatalf("the page changed the password: %d", r.status)
	}
	if r := s.postJSON("/v1/password-reset", map[string]any{"token": tok, "password": "x"}); r.status != http.StatusBadRequest || r.code(t) != "validation_failed" {
		t.Errorf("weak password: %d %s", r.status, r.body)
	}
	if r := s.postJSON("/v1/password-reset", map[string]any{"token": tok, "password": "new password"}); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	for _, tk := range []string{first, second} {
		if r := s.me(tk); r.status != http.StatusUnauthorized {
			t.Errorf("a session from before the reset still works: %d", r.status)
		}
	}
	if r := s.signIn(email, "old password"); r.status != http.StatusUnauthorized {
		t.Errorf("old password after reset: %d", r.status)
	}
	if r := s.signIn(email, "new password"); r.status != http.StatusOK {
		t.Errorf("new password: %d %s", r.status, r.body)
	}
	if r := s.postJSON("/v1/password-reset", map[string]any{"token": tok, "password": "third password"}); r.status != http.StatusBadRequest || r.code(t) != "token_invalid" {
		t.Errorf("reuse: %d %s, want 400 token_invalid", r.status, r.body)
	}
	s.wantMailAbout(t, email, "your password was changed")

	t.Run("a newer link voids the older, and links expire", func(t *testing.T) {
		s.postJSON("/v1/password-resets", map[string]any{"email": email})
		older := s.linkToken(email, "/v1/password-reset")
		s.clock.Advance(time.Duration(s.settings.Resend.Interval) + time.Second)
		s.postJSON("/v1/password-resets", map[string]any{"email": email})
		newer := s.linkToken(email, "/v1/password-reset")
		if older == "" || newer == "" || older == newer {
			t.Fatalf("links %q and %q", older, newer)
		}
		if r := s.postJSON("/v1/password-reset", map[string]any{"token": older, "password": "older password"}); r.status != http.StatusBadRequest {
			t.Errorf("older link: %d %s", r.status, r.body)
		}
		s.clock.Advance(time.Duration(s.settings.PasswordResetLifetime) + time.Second)
		if r := s.postJSON("/v1/password-reset", map[string]any{"token": newer, "password": "late password"}); r.status != http.StatusGone || r.code(t) != "token_expired" {
			t.Errorf("expired link: %d %s", r.status, r.body)
		}
	})

	t.Run("a form post is sent on to the storefront's sign-in", func(t *testing.T) {
		s.clock.Advance(time.Duration(s.settings.Resend.Interval) + time.Second)
		s.postJSON("/v1/password-resets", map[string]any{"email": email})
		tok := s.linkToken(email, "/v1/password-reset")
		form := url.Values{"token": {tok}, "password": {"form password"}}.Encode()
		r := s.do(http.MethodPost, "/v1/password-reset", "application/x-www-form-urlencoded", []byte(form))
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "https://shop.example/login?reset=1" {
			t.Errorf("form reset: %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		r = s.do(http.MethodPost, "/v1/password-reset", "application/x-www-form-urlencoded", []byte(form))
		if r.status != http.StatusBadRequest || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("form reuse: %d %s", r.status, r.header.Get("Content-Type"))
		}
	})
}

func TestResetVerifiesAnUnverifiedAccount(t *testing.T) {
	s := newStack(t, nil)
	email := "never-confirmed@example.com"
	if r := s.register(person(email)); r.status != http.StatusAccepted {
		t.Fatal(r.status)
	}
	s.deliverMail()
	s.postJSON("/v1/password-resets", map[string]any{"email": email})
	tok := s.linkToken(email, "/v1/password-reset")
	if r := s.postJSON("/v1/password-reset", map[string]any{"token": tok, "password": "chosen now"}); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	c, _ := s.customerByEmail(email)
	if c.Status != customer.Active || c.EmailVerifiedAt.IsZero() || !c.ExpiresAt.IsZero() {
		t.Errorf("after reset: %s verified %v expires %v", c.Status, c.EmailVerifiedAt, c.ExpiresAt)
	}
	if r := s.signIn(email, "chosen now"); r.status != http.StatusOK {
		t.Errorf("sign-in: %d %s", r.status, r.body)
	}
}

func TestResetClearsTheSignInThrottle(t *testing.T) {
	s := newStack(t, nil)
	email := "locked@example.com"
	s.activeCustomer(email, "right password")
	var last response
	for range s.settings.SignInThrottle.PerLoginAndClient.Max + 1 {
		last = s.signIn(email, "wrong password")
	}
	if last.status != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d", s.settings.SignInThrottle.PerLoginAndClient.Max+1, last.status)
	}
	s.postJSON("/v1/password-resets", map[string]any{"email": email})
	tok := s.linkToken(email, "/v1/password-reset")
	if r := s.postJSON("/v1/password-reset", map[string]any{"token": tok, "password": "fresh password"}); r.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if r := s.signIn(email, "fresh password"); r.status != http.StatusOK {
		t.Errorf("sign-in from the locked-out client after the reset: %d %s", r.status, r.body)
	}
}

func TestPasswordChange(t *testing.T) {
	s := newStack(t, nil)
	email := "changer@example.com"
	current := s.activeCustomer(email, "first password")
	other := s.session(email, "first password")
	put := func(body map[string]any) response {
		t.Helper()
		b := mustJSON(t, body)
		return s.do(http.MethodPut, "/v1/customers/me/password", "application/json", b, as(current))
	}
	if r := put(map[string]any{"currentPassword": "wrong", "newPassword": "second password"}); r.status != http.StatusUnauthorized || r.code(t) != "invalid_credentials" {
		t.Errorf("wrong current password: %d %s", r.status, r.body)
	}
	if r := put(map[string]any{"currentPassword": "first password", "newPassword": "x"}); r.status != http.StatusBadRequest || r.code(t) != "validation_failed" {
		t.Errorf("weak new password: %d %s", r.status, r.body)
	}
	if r := put(map[string]any{"currentPassword": "first password", "newPassword": "second password"}); r.status != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if r := s.me(current); r.status != http.StatusOK {
		t.Errorf("the session that changed the password ended: %d", r.status)
	}
	if r := s.me(other); r.status != http.StatusUnauthorized {
		t.Errorf("another session survived the change: %d", r.status)
	}
	if r := s.signIn(email, "second password"); r.status != http.StatusOK {
		t.Errorf("new password: %d", r.status)
	}
	s.wantMailAbout(t, email, "your password was changed")
	if r := s.do(http.MethodPut, "/v1/customers/me/password", "application/json",
		mustJSON(t, map[string]any{"currentPassword": "second password", "newPassword": "third password"})); r.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", r.status)
	}
}

func TestSignOutEverywhere(t *testing.T) {
	s := newStack(t, nil)
	email := "everywhere@example.com"
	a := s.activeCustomer(email, "a password")
	b := s.session(email, "a password")
	if r := s.do(http.MethodDelete, "/v1/sessions", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", r.status)
	}
	r := s.do(http.MethodDelete, "/v1/sessions", "", nil, as(b))
	if r.status != http.StatusNoContent || r.cookie("__Host-cr_session") == nil {
		t.Fatalf("sign out everywhere: %d %s", r.status, r.body)
	}
	for _, tk := range []string{a, b} {
		if r := s.me(tk); r.status != http.StatusUnauthorized {
			t.Errorf("a session survived: %d", r.status)
		}
	}
	s.clock.Advance(time.Millisecond)
	if r := s.me(s.session(email, "a password")); r.status != http.StatusOK {
		t.Errorf("a session started afterwards: %d", r.status)
	}
}

func TestEmailChange(t *testing.T) {
	s := newStack(t, nil)
	old, next := "moving@example.com", "moved@example.org"
	tok := s.activeCustomer(old, "a password")
	request := func(tok, newEmail, pw string) response {
		t.Helper()
		return s.postJSON("/v1/customers/me/email-change", map[string]any{"newEmail": newEmail, "password": pw}, as(tok))
	}
	if r := request(tok, next, "wrong"); r.status != http.StatusUnauthorized || r.code(t) != "invalid_credentials" {
		t.Errorf("wrong password: %d %s", r.status, r.body)
	}
	if r := request(tok, "not an address", "a password"); r.status != http.StatusBadRequest {
		t.Errorf("bad address: %d %s", r.status, r.body)
	}
	if r := request(tok, next, "a password"); r.status != http.StatusAccepted {
		t.Fatalf("request: %d %s", r.status, r.body)
	}
	link := s.linkToken(next, "/v1/email-change")
	if link == "" {
		t.Fatalf("no link at the new address; mails: %v", s.subjectsTo(next))
	}
	var notice *devstack.Mail
	for _, m := range s.mailsTo(old) {
		if strings.Contains(m.Subject, "a new email address was requested") {
			notice = &m
		}
	}
	if notice == nil {
		t.Fatalf("no notice at the old address; subjects: %v", s.subjectsTo(old))
	}
	if plain := strings.ReplaceAll(notice.HTML, "\u200b", ""); !strings.Contains(plain, "m***@e***.org") || strings.Contains(plain, next) {
		t.Errorf("the old address's notice does not name the new address masked, and only masked:\n%s", notice.HTML)
	}
	if r := s.signIn(old, "a password"); r.status != http.StatusOK {
		t.Errorf("the old address before confirmation: %d", r.status)
	}
	if r := s.signIn(next, "a password"); r.status != http.StatusUnauthorized {
		t.Errorf("the new address before confirmation: %d", r.status)
	}
	if page := s.do(http.MethodGet, "/v1/email-change?token="+url.QueryEscape(link), "", nil); page.status != http.StatusOK {
		t.Errorf("page: %d", page.status)
	}
	r := s.postJSON("/v1/email-change", map[string]any{"token": link})
	if r.status != http.StatusOK || r.json(t)["email"] != next {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := s.signIn(next, "a password"); r.status != http.StatusOK {
		t.Errorf("the new address after confirmation: %d", r.status)
	}
	if r := s.signIn(old, "a password"); r.status != http.StatusUnauthorized {
		t.Errorf("the old address after confirmation: %d", r.status)
	}
	if r := s.postJSON("/v1/email-change", map[string]any{"token": link}); r.status != http.StatusBadRequest {
		t.Errorf("reuse: %d %s", r.status, r.body)
	}
	if r := s.register(person(old)); r.status != http.StatusAccepted {
		t.Errorf("registering the freed address: %d", r.status)
	}

	t.Run("a taken address is answered alike, and refused at confirmation", func(t *testing.T) {
		other := "other-owner@example.com"
		s.activeCustomer(other, "another password")
		tok := s.session(next, "a password")
		free := request(tok, "free-address@example.com", "a password")
		s.clock.Advance(time.Second)
		taken := request(tok, other, "a password")
		if free.status != http.StatusAccepted || taken.status != free.status || string(taken.body) != string(free.body) {
			t.Fatalf("free %d %s vs taken %d %s", free.status, free.body, taken.status, taken.body)
		}
		link := s.linkToken(other, "/v1/email-change")
		if r := s.postJSON("/v1/email-change", map[string]any{"token": link}); r.status != http.StatusConflict || r.code(t) != "email_taken" {
			t.Errorf("confirming a taken address: %d %s", r.status, r.body)
		}
		if r := s.signIn(other, "another password"); r.status != http.StatusOK {
			t.Errorf("the owner of the taken address: %d", r.status)
		}
	})

	t.Run("two accounts racing to one new address end with one", func(t *testing.T) {
		target := "contested@example.com"
		var links []string
		for _, e := range []string{"racer-one@example.com", "racer-two@example.com"} {
			tok := s.activeCustomer(e, "race password")
			if r := request(tok, target, "race password"); r.status != http.StatusAccepted {
				t.Fatal(r.status)
			}
			s.deliverMail()
		}
		for _, m := range s.mailsTo(target) {
			for _, l := range m.Links {
				if u, err := url.Parse(l); err == nil && u.Path == "/v1/email-change" {
					links = append(links, u.Query().Get("token"))
				}
			}
		}
		if len(links) != 2 {
			t.Fatalf("%d links", len(links))
		}
		statuses := atOnce(len(links), func(i int) response {
			return s.postJSON("/v1/email-change", map[string]any{"token": links[i]})
		})
		ok := 0
		for _, st := range statuses {
			if st == http.StatusOK {
				ok++
			} else if st != http.StatusConflict {
				t.Errorf("status %d", st)
			}
		}
		if ok != 1 {
			t.Errorf("statuses %v, want one 200 and one 409", statuses)
		}
	})
}

func TestProfileUpdate(t *testing.T) {
	s := newStack(t, nil)
	tok := s.activeCustomer("profile@example.com", "a password")
	patch := func(body map[string]any) response {
		t.Helper()
		return s.do(http.MethodPatch, "/v1/customers/me", "application/json", mustJSON(t, body), as(tok))
	}
	r := patch(map[string]any{"firstName": "Augusta", "newsletters": []string{}})
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	got := r.json(t)
	prof, _ := got["profile"].(map[string]any)
	if prof["firstName"] != "Augusta" || prof["lastName"] != "Lovelace" || len(got["newsletters"].([]any)) != 0 {
		t.Errorf("after patch: %s", r.body)
	}
	if me := s.me(tok).json(t)["profile"].(map[string]any); me["firstName"] != "Augusta" {
		t.Errorf("me after patch: %v", me)
	}
	for _, tt := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"a name with digits", map[string]any{"firstName": "R2D2"}, "validation_failed"},
		{"an unknown newsletter", map[string]any{"newsletters": []string{"nope"}}, "validation_failed"},
		{"an unknown field", map[string]any{"email": "x@example.com"}, "unknown_field"},
	} {
		if r := patch(tt.body); r.status != http.StatusBadRequest || r.code(t) != tt.code {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	if me := s.me(tok).json(t)["profile"].(map[string]any); me["firstName"] != "Augusta" {
		t.Errorf("a refused patch changed the profile: %v", me)
	}
}

func TestExportAndErasure(t *testing.T) {
	s := newStack(t, nil)
	email := "leaving@example.com"
	tok := s.activeCustomer(email, "a password")
	x := s.do(http.MethodGet, "/v1/customers/me/export", "", nil, as(tok))
	if x.status != http.StatusOK {
		t.Fatalf("export: %d %s", x.status, x.body)
	}
	doc := x.json(t)
	if c, _ := doc["customer"].(map[string]any); c["email"] != email {
		t.Errorf("export customer = %v", doc["customer"])
	}
	kinds := map[string]bool{}
	for _, a := range doc["activity"].([]any) {
		kinds[a.(map[string]any)["type"].(string)] = true
	}
	for _, want := range []string{"registered", "email_verified"} {
		if !kinds[want] {
			t.Errorf("export activity lacks %s: %v", want, doc["activity"])
		}
	}
	if len(doc["sessions"].([]any)) != 1 {
		t.Errorf("export sessions = %v", doc["sessions"])
	}

	del := func(pw string) response {
		t.Helper()
		return s.do(http.MethodDelete, "/v1/customers/me", "application/json", mustJSON(t, map[string]any{"password": pw}), as(tok))
	}
	if r := del("wrong"); r.status != http.StatusUnauthorized || r.code(t) != "invalid_credentials" {
		t.Errorf("erase with a wrong password: %d %s", r.status, r.body)
	}
	c, _ := s.customerByEmail(email)
	if r := del("a password"); r.status != http.StatusAccepted {
		t.Fatalf("erase: %d %s", r.status, r.body)
	}
	if r := s.me(tok); r.status != http.StatusUnauthorized {
		t.Errorf("the session survived the erasure: %d", r.status)
	}
	if r := s.signIn(email, "a password"); r.status != http.StatusUnauthorized {
		t.Errorf("sign-in after erasure: %d", r.status)
	}
	s.wantMailAbout(t, email, "your account was deleted")
	out, err := s.clients.DynamoDB.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(s.res.Table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CUSTOMER#" + c.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		sk := it["SK"].(*types.AttributeValueMemberS).Value
		if sk != "PROFILE" && !strings.HasPrefix(sk, "CONSENT#") {
			t.Errorf("the sweep left %s", sk)
		}
		for k, v := range it {
			if sv, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(strings.ToLower(sv.Value), "leaving@") {
				t.Errorf("%s.%s still holds the address", sk, k)
			}
		}
	}
	if r := s.register(person(email)); r.status != http.StatusAccepted {
		t.Fatalf("re-register: %d", r.status)
	}
	if tok := s.activeCustomer("leaving-again@example.com", "a password"); tok == "" {
		t.Fatal("no session")
	}
	r := s.postJSON("/v1/verify-email", map[string]any{"token": s.verificationToken(email), "password": "correct horse"})
	if r.status != http.StatusOK {
		t.Errorf("confirming the re-registered address: %d %s", r.status, r.body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
