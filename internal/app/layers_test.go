package app_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The house has three floors, and this test holds them (as tailscale's
// deptest does): a rule a newcomer looks for lives where its floor says.
//
//   - The use cases (useCases) each run one part of the contract. None
//     imports another: a rule two of them share lives below them, in a
//     domain package named for it (profile, account, cart, vat, ...).
//   - The domain packages (domain) hold records and rules. They import
//     each other, never a use case or an adapter.
//   - The adapters and the composition root (app, httpapi, store, ...)
//     import whatever they wire; nothing below them imports them.
var (
	useCases = []string{"admin", "myaccount", "registration", "shopping", "signin", "verification"}
	domain   = []string{
		"account", "apperr", "captcha", "cart", "customer", "device", "event", "geo", "guest", "mail",
		"outbox", "code", "passkey", "password", "password/legacy", "emailcheck", "profile", "redirect", "session", "settings", "texts", "throttle", "tmpl",
		"token", "vat",
	}
)

func TestImportLayers(t *testing.T) {
	imports := internalImports(t)
	for _, p := range append(slices.Clone(useCases), domain...) {
		if _, ok := imports[p]; !ok {
			t.Fatalf("package internal/%s is named in a layer but does not exist; update the layers", p)
		}
	}
	tests := []struct {
		name      string
		from      []string
		forbidden func(to string) bool
	}{
		{"no use case imports another use case", useCases, func(to string) bool { return slices.Contains(useCases, to) }},
		{"no use case imports an adapter", useCases, func(to string) bool {
			return !slices.Contains(useCases, to) && !slices.Contains(domain, to)
		}},
		{"no domain package imports a use case or an adapter", domain, func(to string) bool { return !slices.Contains(domain, to) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, from := range tt.from {
				for _, to := range imports[from] {
					if tt.forbidden(to) {
						t.Errorf("internal/%s imports internal/%s", from, to)
					}
				}
			}
		})
	}
}

// internalImports maps each package under internal/ (by its path below
// internal/) to the internal packages its non-test files import.
func internalImports(t *testing.T) map[string][]string {
	t.Helper()
	const module = "github.com/openreg/registration/internal/"
	root := filepath.Join("..")
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if to, ok := strings.CutPrefix(p, module); ok && !slices.Contains(out[pkg], to) {
				out[pkg] = append(out[pkg], to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
