// Package lamina_test checks ARCHITECTURE.md against the code, so the map stays true: the
// import arrows are exactly the imports between lamina packages, and every path, function,
// WGSL template and test it names exists.
package lamina_test

import (
	"errors"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/lamina-ml/lamina"

func readArchitecture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text of the "## title" section.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	i := strings.Index(doc, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("ARCHITECTURE.md has no section %q", title)
	}
	s := doc[i+len(title)+5:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// laminaImports maps each lamina package (relative to the module) to the lamina packages
// its non-test files import, native and js/wasm builds together.
func laminaImports(t *testing.T) map[string][]string {
	t.Helper()
	native := build.Default
	js := build.Default
	js.GOOS, js.GOARCH = "js", "wasm"
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if n := d.Name(); p != "." && (n == "testdata" || n == "node_modules" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
			return filepath.SkipDir
		}
		set := map[string]bool{}
		found := false
		for _, ctx := range []build.Context{native, js} {
			pkg, err := ctx.ImportDir(p, 0)
			var noGo *build.NoGoError
			if errors.As(err, &noGo) {
				continue
			}
			if err != nil {
				return err
			}
			found = true
			for _, imp := range pkg.Imports {
				if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
					set[rel] = true
				}
			}
		}
		if found && len(set) > 0 {
			var deps []string
			for d := range set {
				deps = append(deps, d)
			}
			sort.Strings(deps)
			out[filepath.ToSlash(p)] = deps
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestArchitectureImports(t *testing.T) {
	sec := section(t, readArchitecture(t), "Imports between lamina packages")
	a, b := strings.Index(sec, "```\n"), strings.LastIndex(sec, "```")
	if a < 0 || b <= a {
		t.Fatal("the imports section has no code block")
	}
	doc := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(sec[a+4:b]), "\n") {
		pkg, deps, ok := strings.Cut(line, " → ")
		if !ok {
			t.Fatalf("line %q is not `package → imports`", line)
		}
		d := strings.Fields(deps)
		sort.Strings(d)
		doc[strings.TrimSpace(pkg)] = d
	}
	code := laminaImports(t)
	for pkg, deps := range code {
		if got := strings.Join(doc[pkg], " "); got != strings.Join(deps, " ") {
			t.Errorf("ARCHITECTURE.md says %s → %s; the code imports %s", pkg, got, strings.Join(deps, " "))
		}
	}
	for pkg := range doc {
		if _, ok := code[pkg]; !ok {
			t.Errorf("ARCHITECTURE.md lists %s → …, which imports no lamina package (or does not exist)", pkg)
		}
	}
}

// ref is a `path` or `path#Name` in backticks.
var ref = regexp.MustCompile("`([A-Za-z0-9_./-]+/[A-Za-z0-9_./-]*)(#([A-Za-z0-9_.]+))?`")

// TestArchitectureReferences: every path the document names exists, and every
// `file#Name` is a function (Type.Method for a method) in that Go file or a
// {{define "Name"}} template in that WGSL file. Each op row names a CPU reference and a
// parity test.
func TestArchitectureReferences(t *testing.T) {
	doc := readArchitecture(t)
	n := 0
	for _, m := range ref.FindAllStringSubmatch(doc, -1) {
		path, name := strings.TrimPrefix(m[1], "./"), m[3]
		n++
		b, err := os.ReadFile(path)
		if err != nil {
			if _, serr := os.Stat(path); serr != nil {
				t.Errorf("%s: %v", m[0], serr)
			} else if name != "" {
				t.Errorf("%s: %v", m[0], err)
			}
			continue
		}
		if name == "" {
			continue
		}
		var pat string
		switch {
		case strings.HasSuffix(path, ".wgsl"):
			pat = `\{\{-?\s*define "` + regexp.QuoteMeta(name) + `"`
		case strings.HasSuffix(path, ".go"):
			if typ, meth, ok := strings.Cut(name, "."); ok {
				pat = `(?m)^func \(\w+ \*?` + regexp.QuoteMeta(typ) + `\) ` + regexp.QuoteMeta(meth) + `\(`
			} else {
				pat = `(?m)^func ` + regexp.QuoteMeta(name) + `[(\[]`
			}
		default:
			t.Errorf("%s: #Name only in .go and .wgsl files", m[0])
			continue
		}
		if !regexp.MustCompile(pat).Match(b) {
			t.Errorf("%s: no %s in %s", m[0], name, path)
		}
	}
	if n < 20 {
		t.Fatalf("only %d references found: did the format change?", n)
	}
	rows := 0
	for _, line := range strings.Split(section(t, doc, "Ops on each backend"), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) != 5 || cells[0] == "op" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		rows++
		if !ref.MatchString(cells[1]) {
			t.Errorf("op %s: no CPU reference", cells[0])
		}
		if !regexp.MustCompile("#Test[A-Za-z0-9_]+`").MatchString(cells[4]) {
			t.Errorf("op %s: no parity test", cells[0])
		}
	}
	if rows < 10 {
		t.Errorf("only %d op rows found", rows)
	}
}
