package texts

import (
	"embed"
	"fmt"
	"path"
	"strings"

	"github.com/openreg/registration/internal/tmpl"
)

//go:embed templates
var files embed.FS

// File names one text and how it is escaped.
type File struct {
	Name string
	Mode tmpl.Mode
}

// Set is a parsed set of texts in a number of languages.
type Set struct {
	byLang   map[string]map[string]*tmpl.Template
	fallback string
}

// Load parses the named files for every language, failing if any language
// lacks any of them, or if fallback is not among the languages.
func Load(languages []string, fallback string, want []File) (*Set, error) {
	s := &Set{byLang: map[string]map[string]*tmpl.Template{}, fallback: fallback}
	for _, lang := range languages {
		m := map[string]*tmpl.Template{}
		for _, f := range want {
			name := path.Join("templates", lang, f.Name)
			src, err := files.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("texts: %s: %w", name, err)
			}
			text := string(src)
			if strings.HasSuffix(f.Name, pageSuffix) {
				if text, err = inLayout(name, lang, text); err != nil {
					return nil, err
				}
			}
			if m[f.Name], err = tmpl.Parse(name, text, f.Mode); err != nil {
				return nil, err
			}
		}
		s.byLang[lang] = m
	}
	if _, ok := s.byLang[fallback]; !ok {
		return nil, fmt.Errorf("texts: no texts for fallback language %q", fallback)
	}
	return s, nil
}

// Pages (`…_page.html`) share one frame, templates/page.html: a page file
// holds its <title>…</title> and then its body, which go where the layout
// says <!--title--> and <!--body-->; <!--lang--> is the page's language.
const pageSuffix = "_page.html"

// inLayout puts a page into the layout.
func inLayout(name, lang, page string) (string, error) {
	layout, err := files.ReadFile("templates/page.html")
	if err != nil {
		return "", fmt.Errorf("texts: the page layout: %w", err)
	}
	rest, ok := strings.CutPrefix(page, "<title>\n")
	title, body, found := strings.Cut(rest, "</title>\n")
	if !ok || !found {
		return "", fmt.Errorf("texts: %s must start with <title>, on a line of its own, and its title", name)
	}
	return strings.NewReplacer("<!--lang-->", lang, "<!--title-->", title, "<!--body-->", body).Replace(string(layout)), nil
}

// Language returns lang if the set has it, else the fallback language.
func (s *Set) Language(lang string) string {
	if _, ok := s.byLang[lang]; ok {
		return lang
	}
	return s.fallback
}

// Get returns text name in lang (or the fallback language), and false when
// the set was not loaded with that name.
func (s *Set) Get(lang, name string) (*tmpl.Template, bool) {
	t, ok := s.byLang[s.Language(lang)][name]
	return t, ok
}

// Each calls f for every text of every language, so a loader can check
// the texts against what their users will give them.
func (s *Set) Each(f func(lang, name string, t *tmpl.Template) error) error {
	for lang, m := range s.byLang {
		for name, t := range m {
			if err := f(lang, name, t); err != nil {
				return err
			}
		}
	}
	return nil
}
