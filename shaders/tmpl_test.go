package shaders

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"
)

// TestTemplatesMatchTextTemplate renders every kernel variant with tmpl.go
// and with text/template (which tmpl.go replaces only to keep it out of the
// browser runtime; tests may still use it) and wants the same WGSL.
func TestTemplatesMatchTextTemplate(t *testing.T) {
	ref := template.New("").Funcs(template.FuncMap{
		"wdecl": func(k Key, name string, binding int) weightDecl {
			return weightDecl{Name: name, Binding: binding, W: k.weight(), Vec4: k.Vec4}
		},
	})
	if _, err := ref.ParseFS(os.DirFS("."), "*.wgsl"); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range Names() {
		for _, w := range []string{WF32, WF16, WF16P, WBF16} {
			for m := 0; m < 96; m++ {
				k := Key{Kernel: name, W: w, Vec4: m&1 != 0, Bias: m&2 != 0, Norm: m&4 != 0, SiLU: m&8 != 0, Accumulate: m&16 != 0, InPlace: m / 32}
				var b bytes.Buffer
				if err := ref.ExecuteTemplate(&b, name, k); err != nil {
					t.Fatalf("%s: text/template: %v", k, err)
				}
				got, err := Source(k)
				if err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				if want := strings.TrimLeft(b.String(), "\n"); got != want {
					t.Fatalf("%s: tmpl.go renders\n%s\ntext/template\n%s", k, got, want)
				}
				n++
			}
		}
	}
	t.Logf("%d variants identical", n)
}

func TestTemplateSyntaxErrors(t *testing.T) {
	for _, src := range []string{
		`{{define "a"}}{{range .X}}{{end}}{{end}}`,
		`{{define "a"}}{{if .X}}x{{end}}`,
		`{{define "a"}}{{.X -}}{{end}}`,
		`{{define "a"}}{{template "b" .X}}{{end}}`,
		`{{if .X}}{{end}}`,
		`{{define "a"}}{{if lt .X 1}}{{end}}{{end}}`,
		`{{define "a"}}{{end}}{{define "a"}}{{end}}`,
		`{{define "a"}}{{`,
	} {
		s := &tmplSet{defs: map[string][]tnode{}}
		if err := s.parseFile("t.wgsl", src); err == nil {
			t.Errorf("%q parsed", src)
		}
	}
}

// TestSourcesListed: shaders.go embeds each .wgsl file as a string (embed.FS
// and its directory code cost lamina.wasm about 23 KB brotli); every file of
// the directory must be in sources, in name order, with its bytes.
func TestSourcesListed(t *testing.T) {
	files, err := filepath.Glob("*.wgsl")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range sources {
		names = append(names, f.name)
	}
	if !slices.Equal(names, files) {
		t.Fatalf("sources lists %v, the directory has %v: add a //go:embed string for each file", names, files)
	}
	for _, f := range sources {
		b, err := os.ReadFile(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != f.text {
			t.Errorf("%s: embedded text differs from the file", f.name)
		}
	}
}
