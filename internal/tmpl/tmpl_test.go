package tmpl_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/tmpl"
)

func TestExecute(t *testing.T) {
	tests := []struct {
		name   string
		mode   tmpl.Mode
		src    string
		values map[string]string
		want   string
	}{
		{"a value in text is escaped like html/template escapes it", tmpl.HTML, `<p>{{.N}}</p>`,
			map[string]string{"N": `<b>"Ada" & 'Bob'+</b>` + "\x00"}, `<p>&lt;b&gt;&#34;Ada&#34; &amp; &#39;Bob&#39;&#43;&lt;/b&gt;` + "\uFFFD</p>"},
		{"a value in a quoted attribute cannot leave it", tmpl.HTML, `<input value="{{.V}}">`,
			map[string]string{"V": `x" onfocus="alert(1)`}, `<input value="x&#34; onfocus=&#34;alert(1)">`},
		{"an https URL in href is kept and escaped", tmpl.HTML, `<a href="{{.L}}">go</a>`,
			map[string]string{"L": "https://shop.example/v1/verify-email?token=a.b&x=1"}, `<a href="https://shop.example/v1/verify-email?token=a.b&amp;x=1">go</a>`},
		{"a local path in href is kept", tmpl.HTML, `<a href="{{.L}}">go</a>`,
			map[string]string{"L": "/account"}, `<a href="/account">go</a>`},
		{"text mode writes values as they are", tmpl.Text, `Hello {{.N}}`,
			map[string]string{"N": "<Ada>"}, `Hello <Ada>`},
		{"dotted names are plain keys", tmpl.Text, `{{.About.Email}}`,
			map[string]string{"About.Email": "a@example.com"}, `a@example.com`},
		{"if shows its body for a non-empty value", tmpl.Text, `Hello{{if .N}} {{.N}}{{end}},`,
			map[string]string{"N": "Ada"}, `Hello Ada,`},
		{"if hides its body for an empty value", tmpl.Text, `Hello{{if .N}} {{.N}}{{end}},`,
			map[string]string{"N": ""}, `Hello,`},
		{"ifs nest", tmpl.Text, `{{if .A}}a{{if .B}}b{{end}}{{end}}`,
			map[string]string{"A": "1", "B": "1"}, `ab`},
		{"{{- trims the whitespace before", tmpl.Text, "x  \n  {{- .N}}", map[string]string{"N": "y"}, "xy"},
		{"-}} trims the whitespace after", tmpl.Text, "{{.N -}}  \n  z", map[string]string{"N": "y"}, "yz"},
		{"an if around a whole element keeps the text context", tmpl.HTML, `{{if .E}}<p class="x">{{.E}}</p>{{end}}<i>{{.N}}</i>`,
			map[string]string{"E": "e", "N": "n"}, `<p class="x">e</p><i>n</i>`},
		{"a comment without values passes through", tmpl.HTML, `<!-- note --><p>{{.N}}</p>`, map[string]string{"N": "x"}, `<!-- note --><p>x</p>`},
		{"a value in title is escaped text", tmpl.HTML, `<title>{{.N}}</title><p>{{.N}}</p>`,
			map[string]string{"N": "</title><script>"}, `<title>&lt;/title&gt;&lt;script&gt;</title><p>&lt;/title&gt;&lt;script&gt;</p>`},
		{"a value after the end of a script is text again", tmpl.HTML, "<script>var a = 1;</script >\n<p>{{.N}}</p>",
			map[string]string{"N": "x"}, "<script>var a = 1;</script >\n<p>x</p>"},
		{"a single-quoted attribute without values passes through", tmpl.HTML, `<p style='color:red'>{{.N}}</p>`,
			map[string]string{"N": "x"}, `<p style='color:red'>x</p>`},
		{"a less-than sign in text is not a tag", tmpl.HTML, `<p>1 < 2 {{.N}}</p>`, map[string]string{"N": "x"}, `<p>1 < 2 x</p>`},
		{"spaces around = still make a URL attribute", tmpl.HTML, `<a href = "{{.L}}">x</a>`,
			map[string]string{"L": "/a"}, `<a href = "/a">x</a>`},
		{"an aria attribute takes a value", tmpl.HTML, `<p aria-label="{{.N}}">`, map[string]string{"N": `a"b`}, `<p aria-label="a&#34;b">`},
		{"trim markers take tabs and newlines", tmpl.Text, "a \n{{-\t.N\n-}}\n b", map[string]string{"N": "x"}, "axb"},
		{"a style block without values passes through", tmpl.HTML, `<style>a{color:red}</style><p>{{.N}}</p>`, map[string]string{"N": "x"}, `<style>a{color:red}</style><p>x</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := tmpl.Parse("t", tt.src, tt.mode)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tp.Execute(tt.values)
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseRefusesUnsafePlaces(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"a value as a tag name", `<{{.T}}>`, "only in text"},
		{"a value as an attribute name", `<p {{.A}}="x">`, "only in text"},
		{"a value in an unquoted attribute", `<p class={{.A}}>`, "only in text"},
		{"a value in a single-quoted attribute", `<p class='{{.A}}'>`, "only in text"},
		{"a value in a script", `<script>var x = "{{.A}}"</script>`, "only in text"},
		{"a value in a style", `<style>p{color:{{.A}}}</style>`, "only in text"},
		{"a value in a comment", `<!-- {{.A}} -->`, "only in text"},
		{"an if that changes the HTML context", `<p{{if .A}} class="x{{end}}">`, "does not end where it began"},
		{"a pipeline", `{{.A | html}}`, "unsupported action"},
		{"a method call", `{{printf "%s" .A}}`, "unsupported action"},
		{"an unclosed action", `{{.A`, "unclosed action"},
		{"an if without end", `{{if .A}}x`, "without {{end}}"},
		{"an end without if", `x{{end}}`, "{{end}} without {{if}}"},
		{"a template that ends inside a tag", `<p class="x`, "ends inside"},
		{"a value in an event handler attribute", `<p onclick="{{.A}}">`, "may not stand in the onclick attribute"},
		{"a value in a style attribute", `<p style="color:{{.A}}">`, "may not stand in the style attribute"},
		{"a value in srcdoc", `<iframe srcdoc="{{.A}}"></iframe>`, "may not stand in the srcdoc attribute"},
		{"a value in xlink:href", `<svg><a xlink:href="{{.A}}"></a></svg>`, "may not stand in the xlink:href attribute"},
		{"a value in srcset", `<img srcset="{{.A}}">`, "may not stand in the srcset attribute"},
		{"a value after a literal prefix in href", `<a href="https://x/{{.A}}">`, "must begin it"},
		{"a value after a space in href", `<a href=" {{.A}}">`, "must begin it"},
		{"two values in one href", `<a href="{{.L}}{{.A}}">`, "must begin it"},
		{"an if that skips the start of an href", `<a href="{{if .B}}{{.B}}{{end}}{{.A}}">`, "does not end where it began"},
		{"an if that ends inside an attribute name", `<a {{if .X}}x{{end}}href="{{.A}}">`, "does not end where it began"},
		{"an if that ends inside an href", `<a href="{{if .B}}/{{end}}{{.A}}">`, "does not end where it began"},
		{"a value in a script after CR LF in the tag", "<script\r\n>var n = {{.A}};</script>", "only in text"},
		{"a value in a script after a form feed in the tag", "<script\f>{{.A}}</script>", "only in text"},
		{"a value after a look-alike end tag", `<script>var a="</scriptx>"; var b = {{.A}};</script>`, "only in text"},
		{"script data with a comment", `<script><!--<script></script>{{.A}}--></script>`, "does not follow"},
		{"a value after an empty comment that opens a script", `<!--><script>/*-->*/ {{.A}}</script>`, "only in text"},
		{"a value in noscript", `<noscript>{{.A}}</noscript>`, "only in text"},
		{"a value in a quoted value opened after an unquoted one", `<p title=x"{{.A}}">`, "only in text"},
		{"a quote where an attribute name begins", `<p "{{.A}}">`, "does not follow"},
		{"a value after a second quote", `<p title="a""{{.A}}">`, "does not follow"},
		{"a key with braces", `{{.A{{.B}}`, "unsupported action"},
		{"a key with a dash", `{{.A-}}`, "unsupported action"},
		{"an uppercase SCRIPT", `<SCRIPT>{{.A}}</SCRIPT>`, "only in text"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			_, err := tmpl.Parse("t", tt.src, tmpl.HTML)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want an error containing %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestExecuteRefuses(t *testing.T) {
	tests := []struct {
		name, src string
		values    map[string]string
		want      string
	}{
		{"a missing value", `{{.A}}`, map[string]string{}, `no value for "A"`},
		{"a javascript URL in href", `<a href="{{.L}}">x</a>`, map[string]string{"L": "javascript:alert(1)"}, "not an http(s) URL"},
		{"a scheme-relative URL in href", `<a href="{{.L}}">x</a>`, map[string]string{"L": "//evil.example"}, "not an http(s) URL"},
		{"a backslash path in action", `<form action="{{.L}}"></form>`, map[string]string{"L": `/\evil.example`}, "not an http(s) URL"},
		{"a data URL in src", `<img src="{{.L}}">`, map[string]string{"L": "data:text/html,x"}, "not an http(s) URL"},
		{"a local path with a tab", `<a href="{{.L}}">x</a>`, map[string]string{"L": "/\t/evil.example"}, "not an http(s) URL"},
		{"a local path with a newline", `<a href="{{.L}}">x</a>`, map[string]string{"L": "/\n\\evil.example"}, "not an http(s) URL"},
		{"a value missing from a branch that would not render", `{{if .A}}{{.Typo}}{{end}}`, map[string]string{"A": ""}, `no value for "Typo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			tp := tmpl.Must(tmpl.Parse("t", tt.src, tmpl.HTML))
			if _, err := tp.Execute(tt.values); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Execute = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// FuzzRender: whatever template parses and whatever a value holds, parsing
// and rendering never panic, and a value never adds markup: the rendered
// HTML has exactly the '<' of the template's own text.
func FuzzRender(f *testing.F) {
	f.Add(`<p class="{{.A}}">{{if .A}}<b>{{.A}}</b>{{end}}</p>`, `<script>alert(1)</script>`)
	f.Add(`<a href="{{.A}}">x</a>`, `https://shop.example/?a=<b>`)
	f.Add(`<title>{{.A}}</title>{{- .A -}}`, `</title><img src=x onerror=alert(1)>`)
	f.Add(`<!-- c --><style>p{}</style><textarea>{{.A}}</textarea>`, `</textarea><script>`)
	f.Fuzz(func(t *testing.T, src, v string) {
		tp, err := tmpl.Parse("fuzz", src, tmpl.HTML)
		if err != nil || v == "" {
			return
		}
		values := map[string]string{}
		for _, m := range keyRef.FindAllStringSubmatch(src, -1) {
			values[m[1]] = v
		}
		out, err := tp.Execute(values)
		if err != nil {
			return // a URL the check refused
		}
		if got, want := strings.Count(out, "<"), strings.Count(actionRef.ReplaceAllString(src, ""), "<"); got != want {
			t.Errorf("template %q with value %q rendered %d '<', the template has %d:\n%s", src, v, got, want, out)
		}
	})
}

var (
	keyRef    = regexp.MustCompile(`\{\{-?\s*(?:if\s+)?\.([A-Za-z_][A-Za-z0-9_.]*)\s*-?\}\}`)
	actionRef = regexp.MustCompile(`\{\{[^}]*\}\}`)
)
