package settings

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

var langPattern = regexp.MustCompile(`^[a-z]{2,3}$`)

// Language picks the first of the customer's preferred languages the store
// supports, falling back to the store default.
func (s Settings) Language(preferred []string) string {
	var prefs []language.Tag
	for _, p := range preferred {
		if t, err := language.Parse(strings.ReplaceAll(p, "_", "-")); err == nil && t != language.Und {
			prefs = append(prefs, t)
		}
	}
	if len(prefs) == 0 {
		return s.DefaultLanguage
	}
	// x/text's matcher knows regional and script fallbacks (de-AT is de,
	// zh-TW is zh-Hant, nn reads nb); the default goes first, as the
	// matcher's answer when nothing matches.
	m := matcherFor(s.DefaultLanguage, s.Languages)
	// Only a sure match (exact or a close relative) counts: a low one
	// would mail a Taiwanese reader in simplified Chinese.
	_, i, conf := m.matcher.Match(prefs...)
	if conf < language.High {
		return s.DefaultLanguage
	}
	return m.names[i]
}

// languageMatcher is a store's languages, the default first, and x/text's
// matcher over them.
type languageMatcher struct {
	names   []string
	matcher language.Matcher
}

// matchers caches one matcher per set of languages: a process serves one
// settings document, so this is built once, not per request.
var matchers sync.Map

func matcherFor(def string, languages []string) languageMatcher {
	key := def + "|" + strings.Join(languages, ",")
	if m, ok := matchers.Load(key); ok {
		return m.(languageMatcher)
	}
	names := []string{def}
	for _, l := range languages {
		if l != def {
			names = append(names, l)
		}
	}
	supported := make([]language.Tag, len(names))
	for i, n := range names {
		supported[i] = language.Make(n)
	}
	m := languageMatcher{names: names, matcher: language.NewMatcher(supported)}
	matchers.Store(key, m)
	return m
}

// validateLanguages checks the store's languages and that the default is
// one of them.
func (s Settings) validateLanguages(p *problems) {
	if len(s.Languages) == 0 {
		p.bad("languages", "must list at least one language")
	}
	for _, l := range s.Languages {
		if !langPattern.MatchString(l) {
			p.bad("languages", "%q is not a lower-case ISO 639 language code", l)
		}
	}
	if !slices.Contains(s.Languages, s.DefaultLanguage) {
		p.bad("defaultLanguage", "%q must be one of languages %v", s.DefaultLanguage, s.Languages)
	}
}
