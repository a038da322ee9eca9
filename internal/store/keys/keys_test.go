package keys_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openreg/registration/internal/store/keys"
)

// dataModel reads the PK and SK columns of the data model table in
// internal/store/README.md: the literal start of each key it shows (what
// comes before the first <placeholder>).
func dataModel(t *testing.T) (pks, sks []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	span := regexp.MustCompile("`([^`]+)`")
	literal := func(cell string) []string {
		var out []string
		for _, m := range span.FindAllStringSubmatch(cell, -1) {
			lit, _, _ := strings.Cut(m[1], "<")
			out = append(out, lit)
		}
		return out
	}
	inTable := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "| item | PK | SK |"):
			inTable = true
		case inTable && !strings.HasPrefix(line, "|"):
			inTable = false
		case inTable && !strings.HasPrefix(line, "|---"):
			cells := strings.Split(line, "|")
			if len(cells) < 4 {
				t.Fatalf("README: a data model row without PK and SK: %s", line)
			}
			pks = append(pks, literal(cells[2])...)
			sks = append(sks, literal(cells[3])...)
		}
	}
	if len(pks) == 0 {
		t.Fatal("README: no data model table (| item | PK | SK | notes |)")
	}
	return pks, sks
}

// sameSet reports what is in want but not in got, and the other way round.
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s %q is declared in package keys but not in the README's data model", what, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("the README's data model names %s %q, which package keys does not declare", what, g)
		}
	}
}

// TestReadmeDataModel: the README's data model shows exactly the partition
// key prefixes and sort keys this package declares.
func TestReadmeDataModel(t *testing.T) {
	pks, sks := dataModel(t)
	sameSet(t, "the partition key prefix", pks, keys.Partitions)
	sameSet(t, "the sort key", sks, keys.SortKeys)
}

// TestStoreWritesNoOtherKey: the stores spell no key of their own; a
// string in their code that looks like a partition key prefix ("WORD#") or
// is a fixed sort key belongs in this package (and in the README).
func TestStoreWritesNoOtherKey(t *testing.T) {
	prefix := regexp.MustCompile(`^[A-Z][A-Z_]*#`)
	var files []string
	for _, dir := range []string{"..", filepath.Join("..", "memstore")} {
		found, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && (prefix.MatchString(s) || slices.Contains(keys.SortKeys, s)) {
				t.Errorf("%s: the key %q is spelled out; use package keys", fset.Position(lit.Pos()), s)
			}
			return true
		})
	}
	if len(files) < 10 {
		t.Fatalf("found %d files of the stores; is the test in internal/store/keys?", len(files))
	}
}

func TestCursor(t *testing.T) {
	for _, sk := range []string{"ACTIVITY#2036-01-01T00:00:00.000000000Z#ab12", "default#active#3"} {
		if got, ok := keys.FromCursor(keys.Cursor(sk)); !ok || got != sk {
			t.Errorf("FromCursor(Cursor(%q)) = %q, %v", sk, got, ok)
		}
	}
	if got, ok := keys.FromCursor(""); !ok || got != "" {
		t.Errorf("no cursor: %q, %v; want the first page", got, ok)
	}
	for _, c := range []string{"not a cursor", "!!", keys.Cursor("") + "="} {
		if _, ok := keys.FromCursor(c); ok {
			t.Errorf("FromCursor(%q) is ok; want a refusal", c)
		}
	}
}
