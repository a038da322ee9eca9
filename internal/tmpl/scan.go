package tmpl

import (
	"errors"
	"strings"
)

// scanner follows a template's literal HTML, chunk by chunk (the values
// between the chunks are not HTML), far enough to know where a value would
// land. It follows the HTML tokenizer's states for tags, attributes and
// comments; where the template does something the tokenizer would read in
// a way this scanner does not follow, it refuses the template rather than
// guess.
type scanner struct {
	state state
	// tag is the tag being read (lower case), or the element whose end
	// tag ends raw text or RCDATA.
	tag string
	// endTag marks a tag that closes an element.
	endTag bool
	// attr is the attribute being read (lower case).
	attr string
	// valueStart: nothing of the attribute's value has been seen yet.
	valueStart bool
	// openTag: the chunk ended in text with "<" or "</", so a value
	// here would name a tag.
	openTag bool
}

type state int

const (
	sText state = iota
	sTagName
	sInTag // between attributes
	sAttrName
	sAfterAttrName
	sBeforeAttrValue
	sAttrValueDQ
	sAttrValueSQ
	sAttrValueUnquoted
	sComment
	sBogusComment
	sRawText // script, style and the like: only their end tag ends them
	sRCData  // title, textarea: text without tags, entities decoded
)

func (s state) String() string {
	return [...]string{"text", "a tag name", "a tag", "an attribute name", "a tag", "a tag",
		"a double-quoted attribute value", "a single-quoted attribute value", "an unquoted attribute value",
		"a comment", "a comment", "a script, style or similar element", "a title or textarea"}[s]
}

// rawText are the elements whose content is not parsed as HTML; values may
// not stand in them.
var rawText = map[string]bool{"script": true, "style": true, "xmp": true, "iframe": true, "noembed": true,
	"noframes": true, "noscript": true, "plaintext": true}

// rcData are the elements whose content is text without tags (entities are
// decoded): escaped values are safe in them.
var rcData = map[string]bool{"title": true, "textarea": true}

// urlAttrs hold URLs; a value may only begin them.
var urlAttrs = map[string]bool{"href": true, "src": true, "action": true}

// plainAttr reports whether an attribute's value is plain text to the
// browser (no script, style, URL or markup), so an escaped value is safe in
// it.
func plainAttr(name string) bool {
	switch name {
	case "title", "alt", "value", "lang", "class", "id", "name", "placeholder", "for", "role":
		return true
	}
	return strings.HasPrefix(name, "aria-")
}

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

var errUnsupported = errors.New("HTML this package does not follow")

// scan advances over one literal chunk.
func (h *scanner) scan(s string) error {
	defer func() {
		h.openTag = (h.state == sText || h.state == sRCData) && (strings.HasSuffix(s, "<") || strings.HasSuffix(s, "</"))
	}()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch h.state {
		case sText, sRCData:
			if c != '<' {
				continue
			}
			rest := s[i+1:]
			if h.state == sRCData {
				// Only the element's own end tag ends it.
				if n, ok := endTagAt(rest, h.tag); ok {
					i += n
					h.state, h.tag, h.endTag = sInTag, "", true
				}
				continue
			}
			switch {
			case strings.HasPrefix(rest, "!--"):
				h.state = sComment
				i += 3
				// "<!-->" and "<!--->" are complete comments.
				if strings.HasPrefix(s[i+1:], ">") {
					h.state, i = sText, i+1
				} else if strings.HasPrefix(s[i+1:], "->") {
					h.state, i = sText, i+2
				}
			case strings.HasPrefix(rest, "!"), strings.HasPrefix(rest, "?"):
				h.state = sBogusComment
			case strings.HasPrefix(rest, "/") && len(rest) > 1 && isLetter(rest[1]):
				h.state, h.tag, h.endTag = sTagName, "", true
				i++
			case len(rest) > 0 && isLetter(rest[0]):
				h.state, h.tag, h.endTag = sTagName, "", false
			}
		case sTagName:
			switch {
			case isHTMLSpace(c) || c == '/':
				h.state = sInTag
			case c == '>':
				h.closeTag()
			default:
				h.tag += string(lower(c))
			}
		case sInTag, sAfterAttrName:
			switch {
			case isHTMLSpace(c) || c == '/':
				if c == '/' {
					h.state = sInTag
				}
			case c == '>':
				h.closeTag()
			case c == '=' && h.state == sAfterAttrName:
				h.state = sBeforeAttrValue
			case c == '"' || c == '\'' || c == '<' || c == '=':
				return errUnsupported // a quote, < or = where a name begins
			default:
				h.state, h.attr = sAttrName, string(lower(c))
			}
		case sAttrName:
			switch {
			case isHTMLSpace(c):
				h.state = sAfterAttrName
			case c == '/':
				h.state = sInTag
			case c == '=':
				h.state = sBeforeAttrValue
			case c == '>':
				h.closeTag()
			case c == '"' || c == '\'' || c == '<':
				return errUnsupported
			default:
				h.attr += string(lower(c))
			}
		case sBeforeAttrValue:
			switch {
			case isHTMLSpace(c):
			case c == '"':
				h.state, h.valueStart = sAttrValueDQ, true
			case c == '\'':
				h.state = sAttrValueSQ
			case c == '>':
				h.closeTag()
			default:
				h.state = sAttrValueUnquoted
			}
		case sAttrValueDQ:
			if c == '"' {
				h.state, h.attr, h.valueStart = sInTag, "", false
			} else {
				h.valueStart = false
			}
		case sAttrValueSQ:
			if c == '\'' {
				h.state, h.attr = sInTag, ""
			}
		case sAttrValueUnquoted:
			switch {
			case isHTMLSpace(c):
				h.state, h.attr = sInTag, ""
			case c == '>':
				h.closeTag()
			}
		case sComment:
			if strings.HasPrefix(s[i:], "-->") {
				h.state, i = sText, i+2
			} else if strings.HasPrefix(s[i:], "--!>") {
				h.state, i = sText, i+3
			}
		case sBogusComment:
			if c == '>' {
				h.state = sText
			}
		case sRawText:
			if c != '<' {
				continue
			}
			rest := s[i+1:]
			if h.tag == "script" && strings.HasPrefix(rest, "!--") {
				// Script data's escaped states let "<script" hide
				// the end tag; not followed here.
				return errUnsupported
			}
			if n, ok := endTagAt(rest, h.tag); ok {
				i += n
				h.state, h.tag, h.endTag = sInTag, "", true
			}
		}
	}
	return nil
}

// closeTag ends a tag at its '>': a start tag of a raw-text or RCDATA
// element enters that element's content.
func (h *scanner) closeTag() {
	tag, end := h.tag, h.endTag
	h.state, h.tag, h.endTag, h.attr, h.valueStart = sText, "", false, "", false
	switch {
	case end:
	case rawText[tag]:
		h.state, h.tag = sRawText, tag
	case rcData[tag]:
		h.state, h.tag = sRCData, tag
	}
}

// endTagAt reports whether rest (what follows a '<') begins the end tag of
// tag ("/tag" followed by whitespace, '/' or '>'), and how many bytes of
// rest the "/tag" takes.
func endTagAt(rest, tag string) (int, bool) {
	n := 1 + len(tag)
	if len(rest) <= n || rest[0] != '/' {
		return 0, false
	}
	for j := 0; j < len(tag); j++ {
		if lower(rest[1+j]) != tag[j] {
			return 0, false
		}
	}
	next := rest[n]
	if !isHTMLSpace(next) && next != '/' && next != '>' {
		return 0, false
	}
	return n, true
}
