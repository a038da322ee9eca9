package tmpl_test

import (
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
		{"a template that ends inside a tag", `<p class="x`, "ends inside a tag"},
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
