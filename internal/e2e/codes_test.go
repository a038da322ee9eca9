package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openreg/registration/internal/code"
)

// codeIn matches the grouped code a mail shows ("123 456").
var codeIn = regexp.MustCompile(`\b(\d{3}) (\d{3})\b`)

// mailedCode is the 6-digit code in the newest mail to addr whose subject
// contains subject.
func (s *stack) mailedCode(addr, subject string) string {
	s.t.Helper()
	s.deliverMail()
	mails := s.mailsTo(addr)
	for i := len(mails) - 1; i >= 0; i-- {
		if strings.Contains(mails[i].Subject, subject) {
			if m := codeIn.FindStringSubmatch(mails[i].HTML); m != nil {
				return m[1] + m[2]
			}
			s.t.Fatalf("the mail %q has no code:\n%s", mails[i].Subject, mails[i].HTML)
		}
	}
	s.t.Fatalf("no mail about %q to %s; subjects: %v", subject, addr, s.subjectsTo(addr))
	return ""
}

// otherCode is a code that is not c.
func otherCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

// TestCodesBesideLinks: a customer on another device confirms the address
// with the code mailed beside the link, and resets a password with the
// code mailed beside the reset link; wrong codes, codes of an address that
// has none, and codes after the fifth wrong one are the same code_invalid.
func TestCodesBesideLinks(t *testing.T) {
	s := newStack(t, nil)
	email := "codes@example.com"
	expect(t, s.register(person(email)), http.StatusAccepted)
	c := s.mailedCode(email, "")

	t.Run("a wrong code, and a code for an address without an account, are the same code_invalid", func(t *testing.T) {
		wrong := s.postJSON("/v1/verify-email", map[string]any{"email": email, "code": otherCode(c), "password": "correct horse"})
		nobody := s.postJSON("/v1/verify-email", map[string]any{"email": "nobody-codes@example.com", "code": c, "password": "correct horse"})
		if wrong.status != http.StatusBadRequest || nobody.status != wrong.status ||
			wrong.json(t)["code"] != "code_invalid" || nobody.json(t)["code"] != "code_invalid" {
			t.Fatalf("wrong: %d %s; unknown address: %d %s", wrong.status, wrong.body, nobody.status, nobody.body)
		}
	})
	t.Run("the mailed code, typed with its space, confirms the address and signs in", func(t *testing.T) {
		r := s.postJSON("/v1/verify-email", map[string]any{"email": " Codes@Example.com ", "code": c[:3] + " " + c[3:], "password": "correct horse"})
		if r.status != http.StatusOK || r.json(t)["status"] != "verified" {
			t.Fatalf("confirm by code: %d %s", r.status, r.body)
		}
	})
	t.Run("the code is spent with its link", func(t *testing.T) {
		r := s.postJSON("/v1/verify-email", map[string]any{"email": email, "code": c, "password": "correct horse"})
		if r.status != http.StatusBadRequest || r.json(t)["code"] != "code_invalid" {
			t.Fatalf("the code again: %d %s", r.status, r.body)
		}
	})

	expect(t, s.postJSON("/v1/password-resets", map[string]any{"email": email}), http.StatusAccepted)
	rc := s.mailedCode(email, "password")
	t.Run("the reset mail's code sets a new password", func(t *testing.T) {
		r := s.postJSON("/v1/password-reset", map[string]any{"email": email, "code": rc, "password": "a whole new horse"})
		if r.status != http.StatusNoContent {
			t.Fatalf("reset by code: %d %s", r.status, r.body)
		}
		expect(t, s.signIn(email, "a whole new horse"), http.StatusOK)
	})

	t.Run("the fifth wrong code spends every code of the address, the right one too", func(t *testing.T) {
		s.clock.Advance(2 * time.Minute) // past the resend interval
		expect(t, s.postJSON("/v1/password-resets", map[string]any{"email": email}), http.StatusAccepted)
		live := s.mailedCode(email, "password")
		for i := 0; i < code.WrongPerDay; i++ {
			r := s.postJSON("/v1/password-reset", map[string]any{"email": email, "code": otherCode(live), "password": "yet another horse"})
			if r.status != http.StatusBadRequest || r.json(t)["code"] != "code_invalid" {
				t.Fatalf("wrong code %d: %d %s", i+1, r.status, r.body)
			}
		}
		r := s.postJSON("/v1/password-reset", map[string]any{"email": email, "code": live, "password": "yet another horse"})
		if r.status != http.StatusBadRequest || r.json(t)["code"] != "code_invalid" {
			t.Fatalf("the right code after five wrong ones: %d %s, want code_invalid", r.status, r.body)
		}
		expect(t, s.signIn(email, "a whole new horse"), http.StatusOK)
	})
}

// TestSignInByCode: passwordless sign-in. Any address gets the same 202;
// an active account gets a mail with a code that signs in like a password
// (session, device cookie), once; a wrong code and a spent one are
// code_invalid.
func TestSignInByCode(t *testing.T) {
	s := newStack(t, nil)
	email := "passwordless@example.com"
	s.activeCustomer(email, "correct horse")
	known := s.postJSON("/v1/sign-in-codes", map[string]any{"email": email})
	unknown := s.postJSON("/v1/sign-in-codes", map[string]any{"email": "nobody-passwordless@example.com"})
	if known.status != http.StatusAccepted || unknown.status != known.status || string(unknown.body) != string(known.body) {
		t.Fatalf("code requests: %d %s vs %d %s; want the same 202", known.status, known.body, unknown.status, unknown.body)
	}
	c := s.mailedCode(email, "sign-in code")
	if n := len(s.mailsTo("nobody-passwordless@example.com")); n != 0 {
		t.Errorf("an address without an account got %d mails", n)
	}
	if r := s.postJSON("/v1/sessions", map[string]any{"login": email, "code": otherCode(c)}); r.status != http.StatusBadRequest || r.json(t)["code"] != "code_invalid" {
		t.Fatalf("a wrong code: %d %s", r.status, r.body)
	}
	r := s.postJSON("/v1/sessions", map[string]any{"login": email, "code": c})
	tok, _ := r.json(t)["sessionToken"].(string)
	if r.status != http.StatusOK || tok == "" {
		t.Fatalf("sign-in by code: %d %s", r.status, r.body)
	}
	expect(t, s.do(http.MethodGet, "/v1/customers/me", "", nil, as(tok)), http.StatusOK)
	if r := s.postJSON("/v1/sessions", map[string]any{"login": email, "code": c}); r.status != http.StatusBadRequest || r.json(t)["code"] != "code_invalid" {
		t.Errorf("the code a second time: %d %s, want code_invalid", r.status, r.body)
	}
}

// TestNewSignInNotice: a sign-in from a device the login had not seen,
// beside one it had, mails the account a notice naming the device; the
// login's first device does not, nor a second new one the same day, nor
// a device the login knows.
func TestNewSignInNotice(t *testing.T) {
	s := newStack(t, nil)
	email := "noticed@example.com"
	s.activeCustomer(email, "correct horse")
	notices := func() int {
		s.deliverMail()
		n := 0
		for _, m := range s.mailsTo(email) {
			if strings.Contains(m.Subject, "a new device signed in") {
				n++
			}
		}
		return n
	}
	first := s.signIn(email, "correct horse", "User-Agent: Laptop/1.0")
	known := deviceTokenOf(t, first)
	if first.status != http.StatusOK || known == "" {
		t.Fatalf("first sign-in: %d %s", first.status, first.body)
	}
	if n := notices(); n != 0 {
		t.Fatalf("the login's first device mailed %d notices, want none", n)
	}
	expect(t, s.signIn(email, "correct horse", "User-Agent: Phone/2.0"), http.StatusOK)
	if n := notices(); n != 1 {
		t.Fatalf("a new device beside a known one mailed %d notices, want 1 (subjects %v)", n, s.subjectsTo(email))
	}
	expect(t, s.signIn(email, "correct horse", "User-Agent: Tablet/3.0"), http.StatusOK)
	expect(t, s.signIn(email, "correct horse", "X-Device-Token: "+known), http.StatusOK)
	if n := notices(); n != 1 {
		t.Errorf("another new device the same day and the known one: %d notices in all, want still 1", n)
	}
	s.clock.Advance(25 * time.Hour)
	expect(t, s.signIn(email, "correct horse", "User-Agent: Desktop/4.0"), http.StatusOK)
	if n := notices(); n != 2 {
		t.Errorf("a new device a day later: %d notices in all, want 2", n)
	}
}
