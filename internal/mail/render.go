package mail

import (
	"fmt"
	"strings"
	"time"

	"github.com/openreg/registration/internal/outbox"
	"github.com/openreg/registration/internal/texts"
	"github.com/openreg/registration/internal/tmpl"
)

// Rendered is a mail ready to send.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// Templates renders messages in the languages the repository has texts
// for (package texts). HTML parts are escaped by context (package tmpl), so
// a customer-supplied name can never become markup or a link.
type Templates struct {
	set *texts.Set
}

// The three parts of every mail.
var parts = []struct {
	suffix string
	mode   tmpl.Mode
}{{".html", tmpl.HTML}, {".txt", tmpl.Text}, {".subject.txt", tmpl.Text}}

// LoadTemplates parses the templates of every mail kind for languages,
// failing if any language lacks any of them or if a template uses a name
// its kind does not give it: a broken template must stop a deploy, not a
// mail.
func LoadTemplates(languages []string, fallback string) (*Templates, error) {
	var want []texts.File
	provided := map[string]map[string]string{} // file → the values its kind gives
	for _, zero := range mails {
		k := zero.Kind()
		v := commonValues(outbox.Recipient{}, "")
		zero.fill(v, fallback)
		for _, p := range parts {
			want = append(want, texts.File{Name: string(k) + p.suffix, Mode: p.mode})
			provided[string(k)+p.suffix] = v
		}
	}
	set, err := texts.Load(languages, fallback, want)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	err = set.Each(func(lang, name string, t *tmpl.Template) error {
		for _, key := range t.Keys() {
			if _, ok := provided[name][key]; !ok {
				return fmt.Errorf("mail: template %s/%s uses %q, which its kind does not provide", lang, name, key)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Templates{set: set}, nil
}

// commonValues are what every mail's templates see. Every value a customer
// typed goes through defuse.
func commonValues(to outbox.Recipient, storeName string) map[string]string {
	return map[string]string{"StoreName": storeName, "FirstName": defuse(to.FirstName),
		"LastName": defuse(to.LastName), "Email": to.Email}
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
func (t *Templates) Render(m outbox.Message, storeName string) (Rendered, error) {
	c, ok := m.Content.(mailContent)
	if !ok {
		return Rendered{}, fmt.Errorf("mail: %s is not a mail", m.Kind())
	}
	lang := t.set.Language(m.To.Language)
	v := commonValues(m.To, storeName)
	c.fill(v, lang)
	var out [3]string
	for i, p := range parts {
		name := string(c.Kind()) + p.suffix
		tp, ok := t.set.Get(lang, name)
		if !ok {
			return Rendered{}, fmt.Errorf("mail: no template %s", name)
		}
		var err error
		if out[i], err = tp.Execute(v); err != nil {
			return Rendered{}, fmt.Errorf("mail: render %s/%s: %w", lang, name, err)
		}
	}
	// A subject is one header line: fold whatever the template produced.
	return Rendered{Subject: strings.Join(strings.Fields(out[2]), " "), HTML: out[0], Text: out[1]}, nil
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
