// Package tmpl renders the service's own templates: the mails and the
// confirm page. It knows exactly what those need (values, dotted names,
// {{if}} … {{end}}, whitespace trimming) and no more, and it uses no
// reflection: text/template and html/template look fields and methods up by
// name at run time, which makes the Go linker keep every exported method of
// every reachable type, and so every operation of every AWS SDK client in
// the binary (3 to 5 MB per Lambda function, and the cold start that goes
// with it).
//
// HTML templates are escaped by context, decided when the template is
// parsed by following its HTML (scan.go). A value may stand only
//   - in text, or in the text of <title> and <textarea>;
//   - as the whole or the end of a double-quoted value of an attribute on a
//     short list of plain ones (title, alt, value, lang, class, id, name,
//     placeholder, for, role, aria-*);
//   - at the very start of a double-quoted URL attribute (href, src,
//     action), where it is refused at render time unless it is an http(s)
//     URL or a local path.
//
// Anywhere else (a tag or attribute name, any other attribute, an unquoted
// or single-quoted value, a comment, <script>, <style> and the like) is a
// parse error, as is an {{if}} whose body does not end where it began.
// Values are strings from a map; Execute refuses a map that lacks a name the
// template uses, whether or not that part would render.
package tmpl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/openreg/registration/internal/redirect"
)

// Mode says how values are written.
type Mode int

// Modes.
const (
	// Text writes values as they are (plain-text mails, subjects).
	Text Mode = iota
	// HTML escapes values for the context they stand in.
	HTML
)

// Template is a parsed template.
type Template struct {
	name  string
	mode  Mode
	nodes []node
	keys  []string // every name the template uses
}

type context int

const (
	inText context = iota
	inAttr         // a plain double-quoted attribute value
	inURL          // the start of a double-quoted URL attribute value
)

type node struct {
	text string // a literal, when key is empty
	key  string // a value, or the condition of an if
	cond bool
	ctx  context
	body []node // of an if
}

// Parse parses src.
func Parse(name, src string, mode Mode) (*Template, error) {
	p := &parser{name: name, src: src, mode: mode, seen: map[string]bool{}}
	nodes, err := p.parse(-1)
	if err != nil {
		return nil, err
	}
	if mode == HTML && p.html.state != sText {
		return nil, p.errorf("the template ends inside %s", p.html.state)
	}
	return &Template{name: name, mode: mode, nodes: nodes, keys: p.keys}, nil
}

// Must panics on a parse error (for templates embedded in the binary).
func Must(t *Template, err error) *Template {
	if err != nil {
		panic(err)
	}
	return t
}

// Keys returns every name the template uses, so a loader can check at start
// that each will have a value.
func (t *Template) Keys() []string { return append([]string(nil), t.keys...) }

// Execute renders the template with values.
func (t *Template) Execute(values map[string]string) (string, error) {
	for _, k := range t.keys {
		if _, ok := values[k]; !ok {
			return "", fmt.Errorf("tmpl: %s: no value for %q", t.name, k)
		}
	}
	var b strings.Builder
	if err := t.exec(&b, t.nodes, values); err != nil {
		return "", fmt.Errorf("tmpl: %s: %w", t.name, err)
	}
	return b.String(), nil
}

func (t *Template) exec(b *strings.Builder, nodes []node, values map[string]string) error {
	for _, n := range nodes {
		if n.key == "" {
			b.WriteString(n.text)
			continue
		}
		v := values[n.key]
		switch {
		case n.cond:
			if v != "" {
				if err := t.exec(b, n.body, values); err != nil {
					return err
				}
			}
		case t.mode == Text:
			b.WriteString(v)
		case n.ctx == inURL && !SafeURL(v):
			return fmt.Errorf("%q is not an http(s) URL or a local path", n.key)
		default:
			b.WriteString(escapeHTML(v))
		}
	}
	return nil
}

// SafeURL reports whether v may begin a URL attribute: an http(s) URL or a
// local path, with no whitespace or control characters anywhere (browsers
// drop tabs and newlines from URLs, so "/\t/evil" would become "//evil").
func SafeURL(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] == 0x7f {
			return false
		}
	}
	l := strings.ToLower(v)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || redirect.IsLocal(v)
}

// escapeHTML escapes as html/template does in text and quoted attributes.
func escapeHTML(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case '+':
			b.WriteString("&#43;")
		case 0:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

type parser struct {
	name string
	src  string
	pos  int
	mode Mode
	html scanner
	keys []string
	seen map[string]bool
}

func (p *parser) line(pos int) int { return 1 + strings.Count(p.src[:pos], "\n") }

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("tmpl: %s:%d: %s", p.name, p.line(p.pos), fmt.Sprintf(format, args...))
}

// keyPattern is a dotted name: .Name or .About.Email.
var keyPattern = regexp.MustCompile(`^\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parse reads nodes up to the end of src or, inside an {{if}} opened at
// ifPos (-1 at the top), up to its {{end}}.
func (p *parser) parse(ifPos int) ([]node, error) {
	var nodes []node
	for p.pos < len(p.src) {
		open := strings.Index(p.src[p.pos:], "{{")
		if open < 0 {
			if err := p.literal(&nodes, p.src[p.pos:]); err != nil {
				return nil, err
			}
			p.pos = len(p.src)
			break
		}
		start := p.pos + open
		lit := p.src[p.pos:start]
		closeAt := strings.Index(p.src[start+2:], "}}")
		if closeAt < 0 {
			p.pos = start
			return nil, p.errorf("unclosed action")
		}
		action := p.src[start+2 : start+2+closeAt]
		p.pos = start + 2 + closeAt + 2
		// "{{- " and " -}}" trim the whitespace on their side, as in
		// text/template (the dash must be followed, or preceded, by a
		// space, tab or newline).
		if len(action) >= 2 && action[0] == '-' && isSpace(action[1]) {
			lit = strings.TrimRight(lit, " \t\r\n")
			action = action[1:]
		}
		trimAfter := len(action) >= 2 && action[len(action)-1] == '-' && isSpace(action[len(action)-2])
		if trimAfter {
			action = action[:len(action)-1]
		}
		action = strings.TrimSpace(action)
		if err := p.literal(&nodes, lit); err != nil {
			return nil, err
		}
		switch {
		case action == "end":
			if ifPos < 0 {
				return nil, p.errorf("{{end}} without {{if}}")
			}
			p.trim(trimAfter)
			return nodes, nil
		case strings.HasPrefix(action, "if ") || strings.HasPrefix(action, "if\t"):
			key, err := p.key(strings.TrimSpace(action[3:]))
			if err != nil {
				return nil, err
			}
			p.trim(trimAfter)
			before := p.html
			body, err := p.parse(start)
			if err != nil {
				return nil, err
			}
			if p.mode == HTML && p.html != before {
				return nil, fmt.Errorf("tmpl: %s:%d: {{if .%s}} … {{end}} does not end where it began in the HTML", p.name, p.line(start), key)
			}
			nodes = append(nodes, node{key: key, cond: true, body: body})
		default:
			key, err := p.key(action)
			if err != nil {
				return nil, err
			}
			ctx, err := p.context()
			if err != nil {
				return nil, err
			}
			p.trim(trimAfter)
			nodes = append(nodes, node{key: key, ctx: ctx})
		}
	}
	if ifPos >= 0 {
		return nil, fmt.Errorf("tmpl: %s:%d: {{if}} without {{end}}", p.name, p.line(ifPos))
	}
	return nodes, nil
}

func (p *parser) literal(nodes *[]node, s string) error {
	if s == "" {
		return nil
	}
	if p.mode == HTML {
		if err := p.html.scan(s); err != nil {
			return p.errorf("%v", err)
		}
	}
	*nodes = append(*nodes, node{text: s})
	return nil
}

// trim drops the whitespace after an action that ends with " -}}".
func (p *parser) trim(yes bool) {
	if yes {
		rest := strings.TrimLeft(p.src[p.pos:], " \t\r\n")
		p.pos = len(p.src) - len(rest)
	}
}

func (p *parser) key(action string) (string, error) {
	if !keyPattern.MatchString(action) {
		return "", p.errorf("unsupported action {{%s}}: only {{.Name}}, {{if .Name}} and {{end}}", action)
	}
	key := action[1:]
	if !p.seen[key] {
		p.seen[key] = true
		p.keys = append(p.keys, key)
	}
	return key, nil
}

// context is where a value would stand, or an error if it may not stand
// there.
func (p *parser) context() (context, error) {
	if p.mode != HTML {
		return inText, nil
	}
	h := &p.html
	switch {
	case h.openTag:
		return 0, p.errorf("a value may stand only in text or inside a double-quoted attribute (here: a tag name)")
	case h.state == sText, h.state == sRCData:
		return inText, nil
	case h.state == sAttrValueDQ && urlAttrs[h.attr]:
		if !h.valueStart {
			return 0, p.errorf("a value in %s=\"…\" must begin it, so its scheme can be checked", h.attr)
		}
		// What follows in the attribute is part of the URL the value
		// began.
		h.valueStart = false
		return inURL, nil
	case h.state == sAttrValueDQ && plainAttr(h.attr):
		h.valueStart = false
		return inAttr, nil
	case h.state == sAttrValueDQ:
		return 0, p.errorf("a value may not stand in the %s attribute", h.attr)
	}
	return 0, p.errorf("a value may stand only in text or inside a double-quoted attribute (here: %s)", h.state)
}
