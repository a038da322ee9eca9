package mail_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/openreg/registration/internal/testenv/golden"

	"github.com/openreg/registration/internal/mail"
	"github.com/openreg/registration/internal/outbox"
)

const storeName = "Example Store"

var languages = []string{"en", "de"}

var (
	created = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	expires = time.Date(2030, 1, 3, 3, 4, 5, 0, time.UTC)
)

// fixedMessage is the message every golden file renders. Its link has a
// query with "&" so the golden HTML shows how the link is escaped.
func fixedMessage(kind outbox.Kind, lang string) outbox.Message {
	to := outbox.Recipient{Email: "ada@example.com", Language: lang, StoreID: "default",
		CustomerID: "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", FirstName: "Ada", LastName: "Lovelace"}
	var c outbox.Content
	switch kind {
	case mail.EmailValidation:
		c = mail.Validation{Link: "https://api.example.com/v1/verify-email?token=AbC-123_xyz&src=mail", ExpiresAt: expires}
	case mail.AccountExists:
		c = mail.AccountExistsNotice{}
	case mail.Welcome:
		c = mail.WelcomeMail{}
	case mail.StoreOwnerNewCustomer:
		to = outbox.Recipient{Email: "owner@example.com", Language: lang, StoreID: "default"}
		c = mail.NewCustomerNotice{About: mail.Subject{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper",
			Company: "Navy", RegistrationType: "EmailValidation"}}
	case mail.PasswordReset:
		c = mail.ResetLink{Link: "https://api.example.com/v1/password-reset?token=AbC-123_xyz&src=mail", ExpiresAt: expires}
	case mail.PasswordChanged:
		c = mail.PasswordChangedNotice{At: created}
	case mail.EmailChangeConfirm:
		to.Email = "ada.new@example.org"
		c = mail.EmailChangeLink{Link: "https://api.example.com/v1/email-change?token=AbC-123_xyz&src=mail", ExpiresAt: expires}
	case mail.EmailChangeNotice:
		c = mail.EmailChangeWarning{MaskedNewEmail: "a***@e***.org"}
	case mail.EmailChanged:
		c = mail.EmailChangedNotice{MaskedNewEmail: "a***@e***.org"}
	case mail.AccountErased:
		c = mail.ErasedNotice{}
	case mail.StoreOwnerNewVat:
		to = outbox.Recipient{Email: "owner@example.com", Language: lang, StoreID: "default"}
		c = mail.NewVatNotice{About: mail.Subject{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper",
			Company: "Navy"}, VatNumber: "DE123456789", Status: "valid", Name: "ACME HANDELS GMBH",
			Address: "MUSTERSTRASSE 1\n10115 BERLIN <b>"}
	default:
		panic("fixedMessage: no fixture for " + kind)
	}
	return outbox.New("4f1c2b8a-0d3e-4a5b-9c6d-7e8f9a0b1c2d", created, to, c)
}

// named gives every name a template shows of m (the recipient's, and the
// customer's a notice is about) the value name.
func named(m outbox.Message, name string) outbox.Message {
	m.To.FirstName = name
	switch n := m.Content.(type) {
	case mail.NewCustomerNotice:
		n.About.FirstName, n.About.Company = name, name
		m.Content = n
	case mail.NewVatNotice:
		n.About.FirstName, n.About.Company, n.Name = name, name, name
		m.Content = n
	}
	return m
}

func loadTemplates(t *testing.T) *mail.Templates {
	t.Helper()
	tpl, err := mail.LoadTemplates(languages, "en")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}
	return tpl
}

func render(t *testing.T, tpl *mail.Templates, m outbox.Message) mail.Rendered {
	t.Helper()
	r, err := tpl.Render(m, storeName)
	if err != nil {
		t.Fatalf("Render(%s, %s): %v", m.To.Language, m.Kind(), err)
	}
	return r
}

func TestRenderGolden(t *testing.T) {
	tpl := loadTemplates(t)
	for _, lang := range languages {
		for _, kind := range mail.Kinds() {
			t.Run(lang+" "+string(kind)+" matches its golden files", func(t *testing.T) {
				r := render(t, tpl, fixedMessage(kind, lang))
				base := lang + "_" + string(kind)
				golden(t, base+".subject.txt", r.Subject)
				golden(t, base+".html", r.HTML)
				golden(t, base+".txt", r.Text)
			})
		}
		t.Run(lang+" invitation (an account the back office created without a password) matches its golden files", func(t *testing.T) {
			m := fixedMessage(mail.EmailValidation, lang)
			v := m.Content.(mail.Validation)
			v.Invitation = true
			m.Content = v
			r := render(t, tpl, m)
			base := lang + "_invitation"
			golden(t, base+".subject.txt", r.Subject)
			golden(t, base+".html", r.HTML)
			golden(t, base+".txt", r.Text)
		})
	}
}

func TestRenderContent(t *testing.T) {
	tpl := loadTemplates(t)
	tests := []struct {
		name     string
		kind     outbox.Kind
		lang     string
		wantHTML []string
		wantText []string
	}{
		{"the English validation mail carries the link, the name and the expiry", mail.EmailValidation, "en",
			[]string{`href="https://api.example.com/v1/verify-email?token=AbC-123_xyz&amp;src=mail"`, "Hello Ada,", "3 January 2030, 03:04 UTC"},
			[]string{"https://api.example.com/v1/verify-email?token=AbC-123_xyz&src=mail", "Hello Ada,", "3 January 2030, 03:04 UTC"}},
		{"the German validation mail carries the link, the name and a German expiry", mail.EmailValidation, "de",
			[]string{`href="https://api.example.com/v1/verify-email?token=AbC-123_xyz&amp;src=mail"`, "Hallo Ada,", "03.01.2030, 03:04 UTC"},
			[]string{"https://api.example.com/v1/verify-email?token=AbC-123_xyz&src=mail", "Hallo Ada,", "03.01.2030, 03:04 UTC"}},
		{"the English account-exists mail names the store", mail.AccountExists, "en",
			[]string{"Hello Ada,", storeName}, []string{"Hello Ada,", storeName}},
		{"the German account-exists mail names the store", mail.AccountExists, "de",
			[]string{"Hallo Ada,", storeName}, []string{"Hallo Ada,", storeName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, tpl, fixedMessage(tt.kind, tt.lang))
			for _, want := range tt.wantHTML {
				if !strings.Contains(r.HTML, want) {
					t.Errorf("got HTML without %q:\n%s", want, r.HTML)
				}
			}
			for _, want := range tt.wantText {
				if !strings.Contains(r.Text, want) {
					t.Errorf("got text without %q:\n%s", want, r.Text)
				}
			}
			if !strings.HasPrefix(r.Subject, storeName+": ") {
				t.Errorf("got subject %q, want it to start with the store name", r.Subject)
			}
		})
	}

	t.Run("the greeting has no name when the first name is empty", func(t *testing.T) {
		m := fixedMessage(mail.EmailValidation, "en")
		m.To.FirstName = ""
		r := render(t, tpl, m)
		if !strings.Contains(r.Text, "Hello,") || !strings.Contains(r.HTML, "Hello,") {
			t.Errorf("got text %q and HTML %q, want the greeting \"Hello,\"", r.Text, r.HTML)
		}
	})
}

func TestRenderEscapesCustomerInput(t *testing.T) {
	tpl := loadTemplates(t)
	const evil = `<a href="https://evil.example">click</a>`
	for _, lang := range languages {
		for _, kind := range mail.Kinds() {
			t.Run("a first name with markup is escaped in the "+lang+" "+string(kind)+" HTML", func(t *testing.T) {
				m := named(fixedMessage(kind, lang), evil)
				r := render(t, tpl, m)
				if strings.Contains(r.HTML, `<a href="https://evil.example"`) {
					t.Errorf("got the customer's markup as a live link in the HTML:\n%s", r.HTML)
				}
				if !strings.Contains(r.HTML, "&lt;a href=") {
					t.Errorf("got HTML without the escaped name &lt;a href=:\n%s", r.HTML)
				}
				if strings.Contains(r.Subject, "evil.example") {
					t.Errorf("got subject %q, want no customer input in it", r.Subject)
				}
			})
		}
	}

	for _, name := range []string{"www.evil.example", "https://evil.example/x", "evil.example", "mail@evil.example"} {
		for _, kind := range mail.Kinds() {
			t.Run("a first name "+name+" cannot become a link in "+string(kind), func(t *testing.T) {
				m := named(fixedMessage(kind, "en"), name)
				r := render(t, tpl, m)
				for part, body := range map[string]string{"HTML": r.HTML, "text": r.Text} {
					if strings.Contains(body, name) {
						t.Errorf("the %s part holds %q intact, which mail clients turn into a link", part, name)
					}
				}
				if !strings.Contains(r.Text, strings.ReplaceAll(name, ".", ".\u200b")[:3]) {
					t.Errorf("the name vanished from the text part: %q", r.Text)
				}
			})
		}
	}

	t.Run("a javascript link is refused, never rendered as a live href", func(t *testing.T) {
		m := fixedMessage(mail.EmailValidation, "en")
		m.Content = mail.Validation{Link: "javascript:alert(1)", ExpiresAt: expires}
		r, err := tpl.Render(m, storeName)
		if err == nil || strings.Contains(r.HTML, `href="javascript:`) {
			t.Errorf("got %v and HTML:\n%s\nwant an error and no javascript: href", err, r.HTML)
		}
	})
}

func TestRenderLanguageFallback(t *testing.T) {
	tpl := loadTemplates(t)
	for _, lang := range []string{"fr", ""} {
		for _, kind := range mail.Kinds() {
			t.Run("language "+strconv.Quote(lang)+" without templates renders "+string(kind)+" in English", func(t *testing.T) {
				got := render(t, tpl, fixedMessage(kind, lang))
				want := render(t, tpl, fixedMessage(kind, "en"))
				if got != want {
					t.Errorf("got\n%+v\nwant the English rendering\n%+v", got, want)
				}
			})
		}
	}

	t.Run("the fallback language is the one given to LoadTemplates", func(t *testing.T) {
		tpl, err := mail.LoadTemplates(languages, "de")
		if err != nil {
			t.Fatal(err)
		}
		got := render(t, tpl, fixedMessage(mail.AccountExists, "fr"))
		want := render(t, tpl, fixedMessage(mail.AccountExists, "de"))
		if got != want {
			t.Errorf("got %q, want the German subject %q", got.Subject, want.Subject)
		}
	})

	t.Run("a job is not rendered", func(t *testing.T) {
		_, err := tpl.Render(outbox.New("j1", created, outbox.Recipient{}, job{}), storeName)
		if err == nil {
			t.Error("got no error, want one for a job")
		}
	})
}

func TestLoadTemplates(t *testing.T) {
	tests := []struct {
		name      string
		languages []string
		fallback  string
		wantErr   bool
	}{
		{"every shipped language loads", []string{"en", "de"}, "en", false},
		{"a single shipped language loads", []string{"de"}, "de", false},
		{"a language without templates fails", []string{"en", "xx"}, "en", true},
		{"a fallback language that was not loaded fails", []string{"de"}, "en", true},
		{"no languages at all fails for want of a fallback", nil, "en", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mail.LoadTemplates(tt.languages, tt.fallback)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("got error %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

// golden compares got with testdata/golden/<name>.golden (go test -update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, "golden/"+name, got)
}
