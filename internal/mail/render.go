package mail

import (
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/openreg/registration/internal/tmpl"
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
// for. HTML parts are escaped by context (package tmpl), so a
// customer-supplied name can never become markup or a link.
type Templates struct {
	html    map[string]*tmpl.Template
	text    map[string]*tmpl.Template
	subject map[string]*tmpl.Template
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
		html: map[string]*tmpl.Template{}, text: map[string]*tmpl.Template{},
		subject: map[string]*tmpl.Template{}, fallback: fallback,
	}
	parse := func(file string, mode tmpl.Mode) (*tmpl.Template, error) {
		src, err := templateFS.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", file, err)
		}
		return tmpl.Parse(file, string(src), mode)
	}
	for _, lang := range languages {
		for _, k := range Kinds {
			base := fmt.Sprintf("templates/%s/%s", lang, k)
			key := lang + "/" + string(k)
			var err error
			if t.html[key], err = parse(base+".html", tmpl.HTML); err != nil {
				return nil, err
			}
			if t.text[key], err = parse(base+".txt", tmpl.Text); err != nil {
				return nil, err
			}
			if t.subject[key], err = parse(base+".subject.txt", tmpl.Text); err != nil {
				return nil, err
			}
		}
	}
	if _, ok := t.html[fallback+"/"+string(EmailValidation)]; !ok {
		return nil, fmt.Errorf("mail: no templates for fallback language %q", fallback)
	}
	return t, nil
}

// zeroWidthSpace breaks what mail clients would otherwise turn into links.
const zeroWidthSpace = "\u200b"

// defuse keeps customer-typed text from becoming a link. The HTML escaping
// already keeps markup out, but mail clients also turn anything that looks like a URL,
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
	// What templates see. Every value a customer typed has gone through
	// defuse.
	v := map[string]string{"StoreName": storeName, "FirstName": defuse(m.FirstName), "LastName": defuse(m.LastName),
		"Email": m.To, "Link": m.Link, "ExpiresAt": formatExpiry(m.ExpiresAt, lang),
		"About.Email": "", "About.FirstName": "", "About.LastName": "", "About.Company": "", "About.RegistrationType": ""}
	if a := m.About; a != nil {
		v["About.Email"], v["About.FirstName"], v["About.LastName"] = a.Email, defuse(a.FirstName), defuse(a.LastName)
		v["About.Company"], v["About.RegistrationType"] = defuse(a.Company), a.RegistrationType
	}
	html, err := h.Execute(v)
	if err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s html: %w", key, err)
	}
	text, err := t.text[key].Execute(v)
	if err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s text: %w", key, err)
	}
	subject, err := t.subject[key].Execute(v)
	if err != nil {
		return Rendered{}, fmt.Errorf("mail: render %s subject: %w", key, err)
	}
	// A subject is one header line: fold whatever the template produced.
	return Rendered{Subject: strings.Join(strings.Fields(subject), " "), HTML: html, Text: text}, nil
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
