package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/customer"
	"github.com/openreg/registration/internal/settings"
)

// TestFullFlow walks the double opt-in path as a customer would: register,
// open the mailed link, press the button, sign in, look at the profile, sign
// out.
func TestFullFlow(t *testing.T) {
	s := newStack(t, nil)
	email := "ada.flow@example.com"

	r := s.register(person(" Ada.Flow@Example.com "), "Accept-Language: en-GB,en;q=0.8")
	if r.status != http.StatusAccepted {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if got := withoutRegistrationID(t, r.body); got != `{"status":"pending_verification","next":"verify_email"}` {
		t.Errorf("register body = %s", got)
	}

	s.deliverMail()
	mails := s.mailsTo("Ada.Flow@Example.com")
	if len(mails) != 1 {
		t.Fatalf("mails = %d, want 1", len(mails))
	}
	if !strings.Contains(mails[0].Subject, "confirm your email") || !strings.Contains(mails[0].HTML, "Hello Ada,") {
		t.Errorf("mail = %q / %q", mails[0].Subject, mails[0].HTML)
	}
	link, err := url.Parse(mails[0].Links[0])
	if err != nil || link.Scheme+"://"+link.Host != s.settings.URLs.PublicAPI || link.Path != "/v1/verify-email" {
		t.Fatalf("link = %q", mails[0].Links[0])
	}
	tok := link.Query().Get("token")

	r = s.signIn(email, "correct horse")
	if r.status != http.StatusUnauthorized || r.code(t) != "invalid_credentials" {
		t.Errorf("sign-in before verification: %d %s, want 401 invalid_credentials like a wrong password", r.status, r.body)
	}

	page := s.do(http.MethodGet, "/v1/verify-email?"+link.RawQuery, "", nil)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), `<form method="post" action="https://api.shop.example/v1/verify-email">`) ||
		!strings.Contains(string(page.body), `value="`+tok+`"`) {
		t.Fatalf("confirm page: %d %s", page.status, page.body)
	}
	if got := page.header.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("Referrer-Policy = %q; the token in the URL would leak", got)
	}
	if c, _ := s.customerByEmail(email); c.Status != customer.Unverified {
		t.Fatalf("status after GET = %s, want unverified", c.Status)
	}

	form := url.Values{"token": {tok}, "password": {"correct horse"}}.Encode()
	r = s.do(http.MethodPost, "/v1/verify-email", "application/x-www-form-urlencoded", []byte(form))
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "https://shop.example/" || r.cookie("__Host-cr_session") == nil {
		t.Fatalf("confirm: %d Location %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if c, _ := s.customerByEmail(email); c.Status != customer.Active || c.EmailVerifiedAt.IsZero() {
		t.Fatalf("after confirm: %s verified %v", c.Status, c.EmailVerifiedAt)
	}

	r = s.signIn(" ADA.flow@example.COM ", "correct horse", "X-Ignored: 1")
	if r.status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	body := r.json(t)
	sessionToken, _ := body["sessionToken"].(string)
	ck := r.cookie("__Host-cr_session")
	if ck == nil || ck.Value != sessionToken || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("session cookie = %+v", ck)
	}
	if body["redirect"] != "/" {
		t.Errorf("redirect = %v", body["redirect"])
	}

	me := s.do(http.MethodGet, "/v1/customers/me", "", nil, "Cookie: cr_session="+sessionToken)
	if me.status != http.StatusOK {
		t.Fatalf("me: %d %s", me.status, me.body)
	}
	profile := me.json(t)
	if profile["email"] != "Ada.Flow@Example.com" || profile["status"] != "active" || profile["emailVerified"] != true {
		t.Errorf("me = %s", me.body)
	}
	me = s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+sessionToken)
	if me.status != http.StatusOK {
		t.Errorf("me with bearer token: %d", me.status)
	}

	out := s.do(http.MethodDelete, "/v1/sessions/current", "", nil, "Cookie: cr_session="+sessionToken)
	if out.status != http.StatusNoContent {
		t.Fatalf("sign-out: %d %s", out.status, out.body)
	}
	if c := out.cookie("__Host-cr_session"); c == nil || c.MaxAge >= 0 {
		t.Errorf("sign-out did not clear the cookie: %+v", c)
	}
	me = s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+sessionToken)
	if me.status != http.StatusUnauthorized || me.code(t) != "unauthenticated" {
		t.Errorf("me after sign-out: %d %s", me.status, me.body)
	}
}

func TestRegistrationTypes(t *testing.T) {
	tests := []struct {
		name       string
		typ        settings.RegistrationType
		wantStatus int
		wantBody   string
		wantState  customer.Status
		wantMails  int
	}{
		{"double opt-in accepts and mails a link", settings.EmailValidation, 202,
			`{"status":"pending_verification","next":"verify_email"}`, customer.Unverified, 1},
		{"admin approval accepts, mails a link and waits", settings.AdminApproval, 202,
			`{"status":"pending_approval","next":"await_approval"}`, customer.Unverified, 1},
		{"standard creates an active account, signs it in and welcomes it", settings.Standard, 201, "", customer.Active, 1},
		{"disabled refuses and stores nothing", settings.Disabled, 403, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, func(st *settings.Settings) { st.RegistrationType = tt.typ })
			email := fmt.Sprintf("type-%s@example.com", strings.ToLower(string(tt.typ)))
			before := s.items()
			r := s.register(person(email))
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantBody != "" && withoutRegistrationID(t, r.body) != tt.wantBody {
				t.Errorf("body = %s, want %s", r.body, tt.wantBody)
			}
			s.deliverMail() // double opt-in and approval accounts are completed by the mailer
			c, found := s.customerByEmail(email)
			switch {
			case tt.wantState == "" && found:
				t.Errorf("a customer was stored: %+v", c)
			case tt.wantState == "" && s.items() != before:
				t.Errorf("items = %d, want %d", s.items(), before)
			case tt.wantState != "" && c.Status != tt.wantState:
				t.Errorf("stored status = %q, want %q", c.Status, tt.wantState)
			}
			s.deliverMail()
			if got := len(s.mailsTo(email)); got != tt.wantMails {
				t.Errorf("mails = %d, want %d", got, tt.wantMails)
			}
			switch tt.typ {
			case settings.Disabled:
				if r.code(t) != "registration_disabled" {
					t.Errorf("code = %s", r.code(t))
				}
			case settings.Standard:
				b := r.json(t)
				if b["status"] != "active" || b["next"] != "signed_in" || b["customerId"] != c.ID || b["sessionToken"] == "" {
					t.Errorf("body = %s", r.body)
				}
				if ck := r.cookie("__Host-cr_session"); ck == nil || ck.Value != b["sessionToken"] {
					t.Errorf("no session cookie: %+v", r.cookies)
				}
				if me := s.do(http.MethodGet, "/v1/customers/me", "", nil, "Authorization: Bearer "+b["sessionToken"].(string)); me.status != 200 {
					t.Errorf("session from registration does not work: %d", me.status)
				}
			case settings.AdminApproval:
				tok := s.verificationToken(email)
				v := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"})
				if v.status != 200 || string(v.body) != `{"status":"pending_approval"}` {
					t.Errorf("verify: %d %s", v.status, v.body)
				}
				if c, _ := s.customerByEmail(email); c.Status != customer.PendingApproval {
					t.Errorf("status after verify = %s", c.Status)
				}
				if in := s.signIn(email, "correct horse"); in.status != 401 || in.code(t) != "invalid_credentials" {
					t.Errorf("sign-in awaiting approval: %d %s, want 401 like a wrong password", in.status, in.body)
				}
			}
		})
	}
}

func TestDuplicateEmail(t *testing.T) {
	t.Run("double opt-in answers the same and mails the owner instead", func(t *testing.T) {
		s := newStack(t, nil)
		first := s.register(person("dup@example.com"))
		tok := s.verificationToken("dup@example.com")
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}); r.status != 200 {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		second := s.register(person(" DUP@example.com"))
		if first.status != second.status || withoutRegistrationID(t, first.body) != withoutRegistrationID(t, second.body) {
			t.Errorf("answers differ: %d %s vs %d %s", first.status, first.body, second.status, second.body)
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Set-Cookie"} {
			if first.header.Get(h) != second.header.Get(h) {
				t.Errorf("header %s differs: %q vs %q", h, first.header.Get(h), second.header.Get(h))
			}
		}
		s.deliverMail()
		mails := s.mailsTo("dup@example.com") // the link, the welcome, the notice
		if len(mails) != 3 || !strings.Contains(mails[2].Subject, "someone tried to register") {
			t.Fatalf("mails = %q", subjects(mails))
		}
		// More attempts within the hour answer the same and mail nothing more.
		for range 3 {
			if r := s.register(person("dup@example.com")); withoutRegistrationID(t, r.body) != withoutRegistrationID(t, first.body) {
				t.Errorf("a later attempt answered %s", r.body)
			}
		}
		s.deliverMail()
		if n := len(s.mailsTo("dup@example.com")); n != 3 {
			t.Errorf("mails after more attempts = %d, want still 3", n)
		}
		// What became of the mail reads alike for the new address and the
		// taken one: each got a mail.
		for _, r := range []response{first, second} {
			if got := s.do(http.MethodGet, "/v1/registrations/"+registrationID(t, r.body), "", nil); got.status != 200 || string(got.body) != `{"mail":"sent"}` {
				t.Errorf("mail status: %d %s, want sent", got.status, got.body)
			}
		}
		if len(mails[2].Links) != 0 {
			t.Errorf("the notice carries links: %v", mails[1].Links)
		}
	})
	t.Run("standard registration says the address is taken", func(t *testing.T) {
		s := newStack(t, func(st *settings.Settings) { st.RegistrationType = settings.Standard })
		if r := s.register(person("taken@example.com")); r.status != 201 {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		before := s.items()
		r := s.register(person("Taken@Example.com"))
		if r.status != http.StatusConflict || r.code(t) != "email_taken" {
			t.Errorf("second: %d %s", r.status, r.body)
		}
		if s.items() != before {
			t.Errorf("items changed from %d to %d", before, s.items())
		}
	})
}

// TestConcurrentRegistrations sends 50 registrations of one address at once:
// the database's conditional write lets exactly one through.
func TestConcurrentRegistrations(t *testing.T) {
	for _, typ := range []settings.RegistrationType{settings.Standard, settings.EmailValidation} {
		t.Run(fmt.Sprintf("%s creates exactly one account", typ), func(t *testing.T) {
			s := newStack(t, func(st *settings.Settings) { st.RegistrationType = typ })
			const n = 50
			statuses := atOnce(n, func(int) response { return s.register(person("race@example.com")) })
			counts := map[int]int{}
			for _, st := range statuses {
				counts[st]++
			}
			want := map[int]int{201: 1, 409: n - 1}
			if typ == settings.EmailValidation {
				want = map[int]int{202: n}
			}
			if fmt.Sprint(counts) != fmt.Sprint(want) {
				t.Errorf("statuses = %v, want %v", counts, want)
			}
			s.deliverMail()
			if got := s.countCustomers(); got != 1 {
				t.Errorf("customers stored = %d, want 1", got)
			}
		})
	}
}

func TestVerificationTokens(t *testing.T) {
	s := newStack(t, nil)

	t.Run("a token works once; the second use says already verified", func(t *testing.T) {
		s.register(person("once@example.com"))
		tok := s.verificationToken("once@example.com")
		first := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"})
		if b := first.json(t); first.status != 200 || b["status"] != "verified" || b["sessionToken"] == nil || b["customerId"] == nil {
			t.Fatalf("first: %d %s, want verified and signed in", first.status, first.body)
		}
		again := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"})
		if again.status != 200 || string(again.body) != `{"status":"verified","alreadyVerified":true}` {
			t.Errorf("second: %d %s", again.status, again.body)
		}
		page := s.do(http.MethodPost, "/v1/verify-email", "application/x-www-form-urlencoded", []byte("token="+tok+"&password=correct+horse"))
		if page.status != 200 || !strings.Contains(string(page.body), "Your email address is confirmed") {
			t.Errorf("form post of a used token: %d %s", page.status, page.body)
		}
	})

	t.Run("an expired token is refused and the account stays unverified", func(t *testing.T) {
		s.register(person("late@example.com"))
		tok := s.verificationToken("late@example.com")
		s.clock.Advance(24*time.Hour + time.Second)
		defer s.clock.Advance(-(24*time.Hour + time.Second))
		r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"})
		if r.status != http.StatusGone || r.code(t) != "token_expired" {
			t.Errorf("expired: %d %s", r.status, r.body)
		}
		if c, _ := s.customerByEmail("late@example.com"); c.Status != customer.Unverified {
			t.Errorf("status = %s", c.Status)
		}
		page := s.do(http.MethodPost, "/v1/verify-email", "application/x-www-form-urlencoded", []byte("token="+tok+"&password=correct+horse"))
		if page.status != http.StatusGone || !strings.Contains(string(page.body), "This link has expired") {
			t.Errorf("form post of an expired token: %d %s", page.status, page.body)
		}
	})

	t.Run("GET and HEAD never verify", func(t *testing.T) {
		s.register(person("scanner@example.com"))
		tok := s.verificationToken("scanner@example.com")
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodGet} {
			r := s.do(m, "/v1/verify-email?token="+tok, "", nil)
			if r.status != 200 {
				t.Errorf("%s: %d", m, r.status)
			}
			if m == http.MethodHead && len(r.body) != 0 {
				t.Errorf("HEAD has a body")
			}
		}
		if c, _ := s.customerByEmail("scanner@example.com"); c.Status != customer.Unverified {
			t.Fatalf("status after GET/HEAD = %s", c.Status)
		}
		if r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"}); r.status != 200 {
			t.Errorf("token burnt by GET/HEAD: %d %s", r.status, r.body)
		}
	})

	t.Run("unknown and malformed tokens are invalid", func(t *testing.T) {
		for _, tok := range []string{"", "short", strings.Repeat("A", 43), "../../etc/passwd", strings.Repeat("x", 5000)} {
			r := s.postJSON("/v1/verify-email", map[string]string{"token": tok, "password": "correct horse"})
			if r.status != 400 || r.code(t) != "token_invalid" {
				t.Errorf("token %.20q: %d %s", tok, r.status, r.body)
			}
		}
		page := s.do(http.MethodGet, "/v1/verify-email?token=nonsense", "", nil)
		if page.status != 400 || !strings.Contains(string(page.body), "This link is not valid") {
			t.Errorf("confirm page for a malformed token: %d", page.status)
		}
	})

	t.Run("the confirm page speaks German to a German browser", func(t *testing.T) {
		page := s.do(http.MethodGet, "/v1/verify-email?token=0b6f2c1e-5d2a-4c1b-9f3e-2a1b3c4d5e6f."+strings.Repeat("A", 43), "", nil, "Accept-Language: de-DE,de;q=0.9,en;q=0.5")
		if !strings.Contains(string(page.body), `lang="de"`) || !strings.Contains(string(page.body), "Bestätigen") {
			t.Errorf("page = %s", page.body)
		}
	})
}

func TestGermanMail(t *testing.T) {
	s := newStack(t, nil)
	s.register(person("jurgen@example.com"), "Accept-Language: de-AT, en;q=0.5")
	s.deliverMail()
	mails := s.mailsTo("jurgen@example.com")
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "Bitte bestätigen") {
		t.Fatalf("mails = %+v", mails)
	}
	c, _ := s.customerByEmail("jurgen@example.com")
	if c.Language != "de" {
		t.Errorf("stored language = %q, want de", c.Language)
	}
}

var registrationIDField = regexp.MustCompile(`,"registrationId":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})"`)

// registrationID is the registrationId of a registration's 202 body.
func registrationID(t *testing.T, body []byte) string {
	t.Helper()
	m := registrationIDField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no registrationId in %s", body)
	}
	return string(m[1])
}

// withoutRegistrationID is a registration's 202 body without its random
// registrationId (which it must carry): the rest must be the same on every
// path.
func withoutRegistrationID(t *testing.T, body []byte) string {
	t.Helper()
	registrationID(t, body)
	return registrationIDField.ReplaceAllString(string(body), "")
}
