// Package tmpl renders the service's own templates: the mails and the
// confirm page. It knows exactly what those need (values, dotted names,
// {{if}} … {{end}}, whitespace trimming) and no more, and it uses no
// reflection: text/template and html/template look fields and methods up by
// name at run time, which makes the Go linker keep every exported method of
// every reachable type, and so every operation of every AWS SDK client in
// the binary (3 to 5 MB per Lambda function, and the cold start that goes
// with it).
//
// HTML templates are escaped by context, checked when the template is
// parsed: a value may stand in text or inside a double-quoted attribute; in
// a URL attribute (href, src, action, formaction) it must begin the value and
// is refused at render time unless it is an http(s) URL or a local path.
// Anywhere else (a tag or attribute name, an unquoted attribute, a comment,
// <script> or <style>) is a parse error. Values are strings from a map; a
// name the template uses and the map lacks is an error, never an empty
// string.
package tmpl

import (
	"fmt"
	"strings"
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
}

type context int

const (
	inText context = iota
	inAttr         // inside a double-quoted attribute value
	inURL          // at the start of a double-quoted URL attribute value
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
	p := &parser{name: name, src: src, mode: mode}
	nodes, end, err := p.parse(false)
	if err != nil {
		return nil, err
	}
	if end {
		return nil, p.errorf("{{end}} without {{if}}")
	}
	if mode == HTML && p.html.state != stateText {
		return nil, p.errorf("the template ends inside a tag")
	}
	return &Template{name: name, mode: mode, nodes: nodes}, nil
}

// Must panics on a parse error (for templates embedded in the binary).
func Must(t *Template, err error) *Template {
	if err != nil {
		panic(err)
	}
	return t
}

// Execute renders the template with values.
func (t *Template) Execute(values map[string]string) (string, error) {
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
		v, ok := values[n.key]
		if !ok {
			return fmt.Errorf("no value for %q", n.key)
		}
		switch {
		case n.cond:
			if v != "" {
				if err := t.exec(b, n.body, values); err != nil {
					return err
				}
			}
		case t.mode == Text:
			b.WriteString(v)
		case n.ctx == inURL && !safeURL(v):
			return fmt.Errorf("%q is not an http(s) URL or a local path", n.key)
		default:
			b.WriteString(escapeHTML(v))
		}
	}
	return nil
}

// safeURL reports whether v may begin a URL attribute: an http(s) URL or a
// local path (not "//host", which leaves the site).
func safeURL(v string) bool {
	l := strings.ToLower(v)
	switch {
	case strings.HasPrefix(l, "https://"), strings.HasPrefix(l, "http://"):
		return true
	case strings.HasPrefix(v, "/"):
		return !strings.HasPrefix(v, "//") && !strings.HasPrefix(v, `/\`)
	}
	return false
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
	html htmlScanner
}

func (p *parser) errorf(format string, args ...any) error {
	line := 1 + strings.Count(p.src[:p.pos], "\n")
	return fmt.Errorf("tmpl: %s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

// parse reads nodes up to the end of src or an {{end}} (end reports which).
func (p *parser) parse(inIf bool) (nodes []node, end bool, err error) {
	for p.pos < len(p.src) {
		open := strings.Index(p.src[p.pos:], "{{")
		if open < 0 {
			nodes = p.literal(nodes, p.src[p.pos:])
			p.pos = len(p.src)
			break
		}
		lit := p.src[p.pos : p.pos+open]
		p.pos += open + 2
		closeAt := strings.Index(p.src[p.pos:], "}}")
		if closeAt < 0 {
			return nil, false, p.errorf("unclosed action")
		}
		action := p.src[p.pos : p.pos+closeAt]
		p.pos += closeAt + 2
		if strings.HasPrefix(action, "- ") {
			lit = strings.TrimRight(lit, " \t\r\n")
			action = action[2:]
		}
		trimAfter := strings.HasSuffix(action, " -")
		action = strings.TrimSpace(strings.TrimSuffix(action, " -"))
		nodes = p.literal(nodes, lit)
		switch {
		case action == "end":
			if !inIf {
				return nil, false, p.errorf("{{end}} without {{if}}")
			}
			p.trim(trimAfter)
			return nodes, true, nil
		case strings.HasPrefix(action, "if "):
			key, err := p.key(strings.TrimSpace(action[3:]))
			if err != nil {
				return nil, false, err
			}
			p.trim(trimAfter)
			before := p.html
			body, end, err := p.parse(true)
			if err != nil {
				return nil, false, err
			}
			if !end {
				return nil, false, p.errorf("{{if %s}} without {{end}}", key)
			}
			if p.mode == HTML && (p.html.state != before.state || p.html.rawTag != before.rawTag) {
				return nil, false, p.errorf("{{if %s}} … {{end}} does not end where it began in the HTML", key)
			}
			nodes = append(nodes, node{key: key, cond: true, body: body})
		default:
			key, err := p.key(action)
			if err != nil {
				return nil, false, err
			}
			ctx, err := p.context()
			if err != nil {
				return nil, false, err
			}
			p.trim(trimAfter)
			nodes = append(nodes, node{key: key, ctx: ctx})
		}
	}
	return nodes, false, nil
}

func (p *parser) literal(nodes []node, s string) []node {
	if s == "" {
		return nodes
	}
	if p.mode == HTML {
		p.html.scan(s)
	}
	return append(nodes, node{text: s})
}

// trim drops the whitespace after an action that ends with " -}}".
func (p *parser) trim(yes bool) {
	if yes {
		rest := strings.TrimLeft(p.src[p.pos:], " \t\r\n")
		p.pos = len(p.src) - len(rest)
	}
}

func (p *parser) key(action string) (string, error) {
	if !strings.HasPrefix(action, ".") || len(action) < 2 || strings.ContainsAny(action, " \t|()$\"") {
		return "", p.errorf("unsupported action {{%s}}: only {{.Name}}, {{if .Name}} and {{end}}", action)
	}
	return action[1:], nil
}

// context is where a value would stand, or an error if it may not stand there.
func (p *parser) context() (context, error) {
	if p.mode != HTML {
		return inText, nil
	}
	h := p.html
	switch {
	case h.state == stateText:
		return inText, nil
	case h.state == stateAttrValue && h.urlAttr && h.valueStart:
		// The value begins the URL, so the render-time check covers its
		// scheme; whatever follows in the attribute is part of that URL.
		p.html.valueStart = false
		return inURL, nil
	case h.state == stateAttrValue:
		return inAttr, nil
	}
	return 0, p.errorf("a value may stand only in text or inside a double-quoted attribute (here: %s)", h.state)
}

// htmlScanner follows the template's literal HTML far enough to tell where a
// value would land.
type htmlScanner struct {
	state      scanState
	attr       string // the attribute being read
	urlAttr    bool   // its value is a URL
	valueStart bool   // nothing of its value has been seen yet
	rawTag     string // script or style, while inside one
}

type scanState int

const (
	stateText      scanState = iota
	stateTag                 // between < and >, outside attribute values
	stateAttrValue           // inside a double-quoted attribute value
	stateRaw                 // inside a comment, <script>, <style> or a single-quoted or unquoted value
)

func (s scanState) String() string {
	return [...]string{"text", "a tag", "an attribute value", "a comment, script, style or unquoted value"}[s]
}

func (h *htmlScanner) scan(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch h.state {
		case stateText:
			switch {
			case strings.HasPrefix(s[i:], "<!--"):
				end := strings.Index(s[i+4:], "-->")
				if end < 0 {
					h.state = stateRaw
					return
				}
				i += 4 + end + 2
			case c == '<':
				h.state, h.attr = stateTag, ""
				name := tagName(s[i+1:])
				if name == "script" || name == "style" {
					h.rawTag = name
				}
			}
		case stateTag:
			switch {
			case c == '>':
				h.state = stateText
				if h.rawTag != "" {
					end := strings.Index(strings.ToLower(s[i:]), "</"+h.rawTag)
					if end < 0 {
						h.state = stateRaw
						return
					}
					i += end - 1
					h.rawTag = ""
				}
			case c == '"':
				h.state, h.valueStart = stateAttrValue, true
				h.urlAttr = isURLAttr(h.attr)
			case c == '\'':
				h.state = stateRaw
				return
			case c == '=' || c == ' ' || c == '\n' || c == '\t' || c == '/':
				if c != '=' {
					h.attr = ""
				}
			default:
				h.attr += string(c)
			}
		case stateAttrValue:
			if c == '"' {
				h.state, h.attr = stateTag, ""
			} else {
				h.valueStart = false
			}
		case stateRaw:
			return
		}
	}
}

func tagName(s string) string {
	end := strings.IndexAny(s, " \t\n>/")
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
}

func isURLAttr(name string) bool {
	switch strings.ToLower(name) {
	case "href", "src", "action", "formaction":
		return true
	}
	return false
}
