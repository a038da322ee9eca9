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
// query with "&" so the golden HTML shows how the link is escaped; a mail
// that may carry a code carries one.
func fixedMessage(kind outbox.Kind, lang string) outbox.Message {
	to := outbox.Recipient{Email: "ada@example.com", Language: lang, StoreID: "default",
		CustomerID: "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d", FirstName: "Ada", LastName: "Lovelace"}
	var c outbox.Content
	switch kind {
	case mail.EmailValidation:
		c = mail.Validation{Link: "https://api.example.com/v1/verify-email?token=AbC-123_xyz&src=mail", ExpiresAt: expires,
			Code: "314159"}
	case mail.AccountExists:
		c = mail.AccountExistsNotice{}
	case mail.Welcome:
		c = mail.WelcomeMail{}
	case mail.StoreOwnerNewCustomer:
		to = outbox.Recipient{Email: "owner@example.com", Language: lang, StoreID: "default"}
		c = mail.NewCustomerNotice{About: mail.Subject{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper",
			Company: "Navy", RegistrationType: "EmailValidation"}}
	case mail.PasswordReset:
		c = mail.ResetLink{Link: "https://api.example.com/v1/password-reset?token=AbC-123_xyz&src=mail", ExpiresAt: expires,
			Code: "271828"}
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
	case mail.SignInCode:
		c = mail.SignInCodeMail{Code: "042917", ExpiresAt: created.Add(15 * time.Minute)}
	case mail.NewSignIn:
		c = mail.NewSignInNotice{At: created, Address: "203.0.113.7",
			UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"}
	case mail.PasskeyAdded:
		c = mail.PasskeyAddedNotice{Name: "Ada's iPhone <2>", At: created}
	default:
		panic("fixedMessage: no fixture for " + kind)
	}
	return outbox.New("4f1c2b8a-0d3e-4a5b-9c6d-7e8f9a0b1c2d", created, to, c)
}

// named gives every name a template shows of m (the recipient's, the
// customer's a notice is about, and whatever else a client typed) the
// value name.
func named(m outbox.Message, name string) outbox.Message {
	m.To.FirstName = name
	switch n := m.Content.(type) {
	case mail.NewCustomerNotice:
		n.About.FirstName, n.About.Company = name, name
		m.Content = n
	case mail.NewVatNotice:
		n.About.FirstName, n.About.Company, n.Name = name, name, name
		m.Content = n
	case mail.NewSignInNotice:
		n.UserAgent, n.Address = name, name
		m.Content = n
	case mail.PasskeyAddedNotice:
		n.Name = name
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
		{"the English sign-in code mail carries the grouped code and its expiry", mail.SignInCode, "en",
			[]string{">042 917</span>", "2 January 2030, 03:19 UTC"}, []string{"\n042 917\n", "2 January 2030, 03:19 UTC"}},
		{"the German sign-in code mail carries the grouped code and a German expiry", mail.SignInCode, "de",
			[]string{">042 917</span>", "02.01.2030, 03:19 UTC"}, []string{"\n042 917\n", "02.01.2030, 03:19 UTC"}},
		{"the English new sign-in notice says when, from what and from where", mail.NewSignIn, "en",
			[]string{"2 January 2030, 03:04 UTC", "Safari/\u200b605.\u200b1.\u200b15", "203.\u200b0.\u200b113.\u200b7", "Forgot password"},
			[]string{"When: 2 January 2030, 03:04 UTC", "Browser or app: Mozilla/\u200b5.\u200b0", "IP address: 203.\u200b0.\u200b113.\u200b7", "Forgot password"}},
		{"the German new sign-in notice says when, from what and from where", mail.NewSignIn, "de",
			[]string{"02.01.2030, 03:04 UTC", "Safari/\u200b605.\u200b1.\u200b15", "203.\u200b0.\u200b113.\u200b7", "Passwort vergessen"},
			[]string{"Zeitpunkt: 02.01.2030, 03:04 UTC", "Browser oder App: Mozilla/\u200b5.\u200b0", "IP-Adresse: 203.\u200b0.\u200b113.\u200b7", "Passwort vergessen"}},
		{"the English passkey notice names the passkey, escaped in HTML, and when it was added", mail.PasskeyAdded, "en",
			[]string{"Ada&#39;s iPhone &lt;2&gt;", "2 January 2030, 03:04 UTC"}, []string{"Name: Ada's iPhone <2>", "Added: 2 January 2030, 03:04 UTC"}},
		{"the German passkey notice names the passkey, escaped in HTML, and when it was added", mail.PasskeyAdded, "de",
			[]string{"Ada&#39;s iPhone &lt;2&gt;", "02.01.2030, 03:04 UTC"}, []string{"Name: Ada's iPhone <2>", "Hinzugefügt am: 02.01.2030, 03:04 UTC"}},
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

func TestRenderDefusesClientText(t *testing.T) {
	tpl := loadTemplates(t)
	// Each case puts v in one field a client typed, the recipient's name
	// left as it is, so the field itself must show v escaped and defused.
	tests := []struct {
		name string
		kind outbox.Kind
		set  func(c outbox.Content, v string) outbox.Content
	}{
		{"the new sign-in notice's user agent", mail.NewSignIn, func(c outbox.Content, v string) outbox.Content {
			n := c.(mail.NewSignInNotice)
			n.UserAgent = v
			return n
		}},
		{"the new sign-in notice's address", mail.NewSignIn, func(c outbox.Content, v string) outbox.Content {
			n := c.(mail.NewSignInNotice)
			n.Address = v
			return n
		}},
		{"the passkey notice's passkey name", mail.PasskeyAdded, func(c outbox.Content, v string) outbox.Content {
			n := c.(mail.PasskeyAddedNotice)
			n.Name = v
			return n
		}},
	}
	const markup = `<a href="https://evil.example">click</a>`
	for _, tt := range tests {
		for _, lang := range languages {
			t.Run(tt.name+" with markup is escaped in the "+lang+" HTML and kept out of the subject", func(t *testing.T) {
				m := fixedMessage(tt.kind, lang)
				m.Content = tt.set(m.Content, markup)
				r := render(t, tpl, m)
				if strings.Contains(r.HTML, "<a href") || !strings.Contains(r.HTML, "&lt;a href=&#34;https:\u200b/\u200b/\u200bevil.\u200bexample&#34;&gt;click&lt;/\u200ba&gt;") {
					t.Errorf("got HTML without the escaped, defused markup:\n%s", r.HTML)
				}
				if strings.Contains(r.Subject, "evil") {
					t.Errorf("got subject %q, want no client text in it", r.Subject)
				}
			})
		}
		for _, v := range []string{"www.evil.example", "https://evil.example/x", "mail@evil.example", "2001:db8::1"} {
			t.Run(tt.name+" "+v+" cannot become a link", func(t *testing.T) {
				m := fixedMessage(tt.kind, "en")
				m.Content = tt.set(m.Content, v)
				r := render(t, tpl, m)
				defused := strings.NewReplacer(".", ".\u200b", ":", ":\u200b", "/", "/\u200b", "@", "@\u200b").Replace(v)
				for part, body := range map[string]string{"HTML": r.HTML, "text": r.Text} {
					if strings.Contains(body, v) {
						t.Errorf("the %s part holds %q intact, which mail clients turn into a link", part, v)
					}
					if !strings.Contains(body, defused) {
						t.Errorf("the %s part lacks the defused %q:\n%s", part, defused, body)
					}
				}
			})
		}
	}
}

func TestRenderCodes(t *testing.T) {
	tpl := loadTemplates(t)
	withCode := func(kind outbox.Kind, lang, code string) outbox.Message {
		m := fixedMessage(kind, lang)
		switch c := m.Content.(type) {
		case mail.Validation:
			c.Code = code
			m.Content = c
		case mail.ResetLink:
			c.Code = code
			m.Content = c
		case mail.SignInCodeMail:
			c.Code = code
			m.Content = c
		}
		return m
	}
	const span = `<span style="font-family: monospace; font-size: 24px; font-weight: bold; letter-spacing: 4px; white-space: nowrap;">123 456</span>`
	sentence := map[string]string{"en": "Or enter this code: ", "de": "Oder geben Sie diesen Code ein: "}
	for _, lang := range languages {
		for _, kind := range []outbox.Kind{mail.EmailValidation, mail.PasswordReset} {
			t.Run("a "+lang+" "+string(kind)+" mail without a code says nothing of a code", func(t *testing.T) {
				r := render(t, tpl, withCode(kind, lang, ""))
				for part, body := range map[string]string{"HTML": r.HTML, "text": r.Text, "subject": r.Subject} {
					if strings.Contains(strings.ToLower(body), "code") {
						t.Errorf("the %s part mentions a code:\n%s", part, body)
					}
				}
			})
			t.Run("a "+lang+" "+string(kind)+" mail with a code shows it grouped after the link, in html and text", func(t *testing.T) {
				r := render(t, tpl, withCode(kind, lang, "123456"))
				if !strings.Contains(r.HTML, sentence[lang]+span) {
					t.Errorf("got HTML without %q:\n%s", sentence[lang]+span, r.HTML)
				}
				if !strings.Contains(r.Text, sentence[lang]+"123 456\n") {
					t.Errorf("got text without %q:\n%s", sentence[lang]+"123 456", r.Text)
				}
				for part, body := range map[string]string{"HTML": r.HTML, "text": r.Text} {
					link, code := strings.Index(body, "token=AbC-123_xyz"), strings.Index(body, "123 456")
					if link < 0 || code < link {
						t.Errorf("the %s part shows the code before the link:\n%s", part, body)
					}
				}
				if strings.Contains(r.Subject, "123") || strings.Contains(r.Subject, "456") {
					t.Errorf("got subject %q, want no code in it", r.Subject)
				}
				if strings.Contains(title(r.HTML), "123") {
					t.Errorf("got HTML title %q, want no code in it", title(r.HTML))
				}
			})
		}
		t.Run("the "+lang+" sign-in code mail shows the code grouped in html and text, never in the subject", func(t *testing.T) {
			r := render(t, tpl, withCode(mail.SignInCode, lang, "123456"))
			if !strings.Contains(r.HTML, span) {
				t.Errorf("got HTML without %q:\n%s", span, r.HTML)
			}
			if !strings.Contains(r.Text, "\n123 456\n") {
				t.Errorf("got text without the code on a line of its own:\n%s", r.Text)
			}
			if strings.Contains(r.Subject, "123") || strings.Contains(r.Subject, "456") {
				t.Errorf("got subject %q, want no code in it", r.Subject)
			}
			if got := title(r.HTML); !strings.HasPrefix(got, storeName+": ") || strings.Contains(got, "123") {
				t.Errorf("got HTML title %q, want the store's name and no code", got)
			}
		})
	}
}

// title is the text of an HTML mail's <title>.
func title(html string) string {
	_, after, _ := strings.Cut(html, "<title>")
	t, _, _ := strings.Cut(after, "</title>")
	return t
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
