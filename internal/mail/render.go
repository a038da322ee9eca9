package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templateFS embed.FS

// Rendered is a mail ready to send.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// Templates renders messages in the languages the repository has templates
// for. HTML parts go through html/template, which escapes every value by
// context, so a customer-supplied name can never become markup or a link.
type Templates struct {
	html    map[string]*htmltemplate.Template
	text    map[string]*texttemplate.Template
	subject map[string]*texttemplate.Template
	// fallback is the language used when a message asks for one without
	// templates.
	fallback string
}

// Kinds lists every mail kind; each needs templates in every language.
var Kinds = []Kind{EmailValidation, AccountExists, Welcome, StoreOwnerNewCustomer}

// LoadTemplates parses the embedded templates for languages, failing if any
// language lacks any kind: a missing template must stop a deploy, not a mail.
func LoadTemplates(languages []string, fallback string) (*Templates, error) {
	t := &Templates{
		html: map[string]*htmltemplate.Template{}, text: map[string]*texttemplate.Template{},
		subject: map[string]*texttemplate.Template{}, fallback: fallback,
	}
	for _, lang := range languages {
		for _, k := range Kinds {
			base := fmt.Sprintf("templates/%s/%s", lang, k)
			key := lang + "/" + string(k)
			h, err := htmltemplate.ParseFS(templateFS, base+".html")
			if err != nil {
				return nil, fmt.Errorf("mail: template %s.html: %w", base, err)
			}
			x, err := texttemplate.ParseFS(templateFS, base+".txt")
			if err != nil {
				return nil, fmt.Errorf("mail: template %s.txt: %w", base, err)
			}
			s, err := texttemplate.ParseFS(templateFS, base+".subject.txt")
			if err != nil {
				return nil, fmt.Errorf("mail: template %s.subject.txt: %w", base, err)
			}
			t.html[key], t.text[key], t.subject[key] = h.Option("missingkey=error"), x.Option("missingkey=error"), s.Option("missingkey=error")
		}
	}
	if _, ok := t.html[fallback+"/"+string(EmailValidation)]; !ok {
		return nil, fmt.Errorf("mail: no templates for fallback language %q", fallback)
	}
	return t, nil
}

// view is what templates see. Every value a customer typed has gone through
// defuse.
type view struct {
	StoreName string
	FirstName string
	LastName  string
	Email     string
	Link      string
	ExpiresAt string
	About     *aboutView
}

type aboutView struct {
	Email, FirstName, LastName, Company, RegistrationType string
}

// zeroWidthSpace breaks what mail clients would otherwise turn into links.
const zeroWidthSpace = "\u200b"

// defuse keeps customer-typed text from becoming a link. html/template already
// escapes markup, but mail clients also turn anything that looks like a URL,
// a host name or an address ("www.evil.example", "https://…") into a
// clickable link. A zero-width space after each dot, colon, slash and at sign
// breaks those patterns without changing what a reader sees.
func defuse(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		switch r {
		case '.', ':', '/', '@', '\\':
			b.WriteString(zeroWidthSpace)
		}
	}
	return b.String()
}

// Render renders m for a store.
func (t *Templates) Render(m Message, storeName string) (Rendered, error) {
	lang := m.Language
	if _, ok := t.html[lang+"/"+string(m.Kind)]; !ok {
		lang = t.fallback
	}
	key := lang + "/" + string(m.Kind)
	h, ok := t.html[key]
	if !ok {
		return Rendered{}, fmt.Errorf("mail: no template for kind %q", m.Kind)
	}
	v := view{StoreName: storeName, FirstName: defuse(m.FirstName), LastName: defuse(m.LastName), Email: m.To,
		Link: m.Link, ExpiresAt: formatExpiry(m.ExpiresAt, lang)}
	if a := m.About; a != nil {
		v.About = &aboutView{Email: a.Email, FirstName: defuse(a.FirstName), LastName: defuse(a.LastName),
			Company: defuse(a.Company), RegistrationType: a.RegistrationType}
	}
	var html, text, subject bytes.Buffer
	if err := h.Execute(&html, v); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s html: %w", key, err)
	}
	if err := t.text[key].Execute(&text, v); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s text: %w", key, err)
	}
	if err := t.subject[key].Execute(&subject, v); err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s subject: %w", key, err)
	}
	return Rendered{
		// A subject is one header line: fold whatever the template produced.
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		HTML:    html.String(),
		Text:    text.String(),
	}, nil
}

func formatExpiry(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if lang == "de" {
		return t.Format("02.01.2006, 15:04") + " UTC"
	}
	return t.Format("2 January 2006, 15:04") + " UTC"
}
