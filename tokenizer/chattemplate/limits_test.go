package chattemplate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Hostile templates must fail with ErrLimit (or another typed error)
// quickly, not hang or exhaust memory.
func TestHostileTemplatesAreBounded(t *testing.T) {
	cases := []struct {
		name, src string
		want      ErrorKind
	}{
		{"macro recursion", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", ErrLimit},
		{"nested loops", "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", ErrLimit},
		{"output flood", "{% for a in range(100000) %}{% for b in range(100000) %}xxxxxxxxxxxxxxxx{% endfor %}{% endfor %}", ErrLimit},
		{"string doubling", "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", ErrLimit},
		{"string plus doubling", "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", ErrLimit},
		{"list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", ErrLimit},
		{"string repeat", "{{ 'x' * 1000000000000 }}", ErrLimit},
		{"list repeat", "{{ ([1] * 1000000000000) | length }}", ErrLimit},
		{"huge range", "{{ range(1000000000000000000) | length }}", ErrLimit},
		{"range overflow", "{{ range(-9223372036854775807, 9223372036854775807, 3) | length }}", ErrLimit},
		{"replace blowup", "{% set ns = namespace(s='abcdefgh') %}{% for i in range(20) %}{% set ns.s = ns.s.replace('', ns.s) %}{% endfor %}", ErrLimit},
		{"replace filter blowup", "{% set ns = namespace(s='abcdefgh') %}{% for i in range(20) %}{% set ns.s = ns.s | replace('', ns.s) %}{% endfor %}", ErrLimit},
		{"print many copies", "{% set ns = namespace(s='x' * 1000000) %}{{ [ns.s] * 100 }}", ErrLimit},
		{"join many copies", "{% set ns = namespace(s='x' * 1000000) %}{{ ([ns.s] * 100) | join }}", ErrLimit},
		{"tojson many copies", "{% set ns = namespace(s='x' * 1000000) %}{{ ([ns.s] * 100) | tojson }}", ErrLimit},
		{"indent blowup", "{{ ('\n' * 100000) | indent(100000) }}", ErrLimit},
		{"self namespace", "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", ErrLimit},
		{"self namespace raise", "{% set ns = namespace() %}{% set ns.me = ns %}{{ raise_exception(ns) }}", ErrLimit},
		{"deep parens", strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), ErrLimit},
		{"deep ifs", strings.Repeat("{% if true %}", 5000) + strings.Repeat("{% endif %}", 5000), ErrLimit},
		{"deep not", "{{ " + strings.Repeat("not ", 5000) + "1 }}", ErrLimit},
		{"long attr chain", "{{ x" + strings.Repeat(".a", 50000) + " }}", ErrLimit},
		{"long sum chain", "{{ 1" + strings.Repeat(" + 1", 50000) + " }}", ErrLimit},
		{"slice huge step", "{{ [1, 2, 3][0:3:9223372036854775807] }}", 0},
		{"slice huge negative step", "{{ [1, 2, 3][::-9223372036854775807] }}", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			src := c.src
			if strings.HasPrefix(c.name, "deep parens") {
				src = "{{ " + src + " }}"
			}
			tmpl, err := Parse(src)
			if err == nil {
				_, err = tmpl.Render(Options{MaxOutput: 1 << 20, MaxSteps: 2_000_000})
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			if c.want == 0 {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != c.want {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestErrorPositions(t *testing.T) {
	cases := []struct {
		src       string
		kind      ErrorKind
		line, col int
	}{
		{"line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}", ErrSyntax, 3, 10},
		{"a\nb {{ missing.attr }}", ErrUndefined, 2, 13},                                       // at the "."
		{"{% for m in messages %}\n{{ raise_exception('no') }}{% endfor %}", ErrRaised, 2, 19}, // at the "("
		{"{{ 'a' + 1 }}", ErrType, 1, 8},
		{"{% if true %}", ErrSyntax, 1, 14},
		{"{{ 'unterminated }}", ErrSyntax, 1, 4},
		{"{# open comment", ErrSyntax, 1, 1},
		{"é{{ [].append(1) }}", ErrSecurity, 1, 14}, // columns count characters
	}
	for _, c := range cases {
		tmpl, err := Parse(c.src)
		if err == nil {
			_, err = tmpl.Render(Options{Messages: []byte(`[{"role":"user","content":"x"}]`)})
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: got %v, want *Error", c.src, err)
			continue
		}
		if e.Kind != c.kind || e.Line != c.line || e.Col != c.col {
			t.Errorf("%q: got %v at %d:%d, want %v at %d:%d", c.src, e.Kind, e.Line, e.Col, c.kind, c.line, c.col)
		}
	}
}

func TestBadInputs(t *testing.T) {
	tmpl, err := Parse("{{ messages | length }}")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{
		{Messages: []byte(`[{"role": "user",`)},
		{Messages: []byte(`[] []`)},
		{Tools: []byte(`{"a": }`)},
		{Vars: map[string]any{"x": struct{}{}}},
	} {
		_, err := tmpl.Render(o)
		var e *Error
		if !errors.As(err, &e) || e.Kind != ErrType || e.Line != 0 {
			t.Errorf("%+v: got %v, want an input ErrType", o, err)
		}
	}
}
