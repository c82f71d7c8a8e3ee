package jsonmode

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// numBounds is an independent reading of a number schema's bounds,
// compared as float64s after strconv.ParseFloat (what JSON validators
// such as ajv do).
type numBounds struct {
	min, max, xmin, xmax *float64
}

func (b numBounds) schema() string {
	var parts []string
	add := func(k string, v *float64) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%q:%s", k, strconv.FormatFloat(*v, 'g', -1, 64)))
		}
	}
	add("minimum", b.min)
	add("maximum", b.max)
	add("exclusiveMinimum", b.xmin)
	add("exclusiveMaximum", b.xmax)
	return `{"type":"number",` + strings.Join(parts, ",") + `}`
}

func (b numBounds) ok(text string) bool {
	x, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return false
	}
	return (b.min == nil || x >= *b.min) && (b.max == nil || x <= *b.max) &&
		(b.xmin == nil || x > *b.xmin) && (b.xmax == nil || x < *b.xmax)
}

func fp(x float64) *float64 { return &x }

var numBoundCases = []numBounds{
	{min: fp(0), max: fp(1)},
	{min: fp(0)},
	{max: fp(0)},
	{xmin: fp(0), xmax: fp(1)},
	{xmin: fp(0.5)},
	{min: fp(0.5), max: fp(0.5)},
	{min: fp(-2.25), max: fp(-2.25)},
	{min: fp(-3.75), xmax: fp(-1.5)},
	{xmin: fp(-0.001), xmax: fp(0.001)},
	{min: fp(1e6), max: fp(1e6 + 0.5)},
	{min: fp(-1e9)},
	{xmin: fp(99.9), xmax: fp(100)},
	{min: fp(0.1), xmax: fp(0.3)},
	{max: fp(-1e-10)},
	{min: fp(123.456), max: fp(123.457)},
}

// TestNumberBoundsManySeeds: random walks through the mask end in a
// number the independent checker accepts.
func TestNumberBoundsManySeeds(t *testing.T) {
	v := testVocab()
	for _, b := range numBoundCases {
		sch := b.schema()
		for _, wrap := range []string{"%s", `{"type":"array","items":%s,"minItems":1,"maxItems":3}`} {
			g, err := Compile([]byte(fmt.Sprintf(wrap, sch)))
			if err != nil {
				t.Fatalf("%s: %v", sch, err)
			}
			// Fewer seeds than manySeeds: 15 bound sets × 2 shapes.
			for seed := uint64(1); seed <= manySeeds/10; seed++ {
				maxTokens := g.MinLen() + int(seed%40)
				out, _ := run(t, g, v, seed, maxTokens)
				var items []json.RawMessage
				if wrap == "%s" {
					items = []json.RawMessage{json.RawMessage(strings.TrimPrefix(out, " "))}
				} else if err := json.Unmarshal([]byte(out), &items); err != nil {
					t.Fatalf("%s seed %d: %q: %v", sch, seed, out, err)
				}
				for _, it := range items {
					if !b.ok(string(it)) || strings.ContainsAny(string(it), "eE") {
						t.Fatalf("%s seed %d (max %d): %q out of bounds", sch, seed, maxTokens, out)
					}
				}
			}
		}
	}
}

// TestNumberBoundsPrefixes: hand-worked documents and prefixes.
func TestNumberBoundsPrefixes(t *testing.T) {
	for _, tc := range []struct {
		schema string
		minLen int
		alive  []string // complete
		open   []string // alive, incomplete
		dead   []string
	}{
		{`{"type":"number","minimum":0.5,"maximum":2}`, 1, []string{"0.5", "1", "2", "2.0", "1.999999999999", "0.50"}, []string{"0", "0.", "2."}, []string{"0.4", "-", "0.49", "2.1", "3", "-0", "1e0", "0.4999999999999999"}},
		{`{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}`, 3, []string{"0.5", "0.000000000000001"}, []string{"0", "0.0", "0.00000000000000"}, []string{"1", "0.0000000000000000", "-0.1", "1.0"}},
		{`{"type":"number","minimum":-1.25,"maximum":-1.25}`, 5, []string{"-1.25", "-1.250"}, []string{"-", "-1", "-1.2"}, []string{"-1.3", "1.25", "-1.26", "-1.24"}},
		{`{"type":"number","exclusiveMaximum":-1000}`, 5, []string{"-1001", "-1000.5"}, []string{"-1000", "-1", "-999"}, []string{"0", "1"}},
		// 15 significant digits at most.
		{`{"type":"number","minimum":100}`, 3, []string{"100", "123456789.123456", "100.5"}, []string{"1", "10"}, []string{"99.", "123456789.1234567", "99"}},
	} {
		checkDocs(t, tc.schema, tc.minLen, tc.alive, tc.open, tc.dead)
	}
	// "0" under minimum 0.5 needs ".5"; "-" under maximum -1000 needs "1001".
	g, _ := Compile([]byte(`{"type":"number","minimum":0.5}`))
	if r := g.Start().Feed([]byte("0")).Remaining(); r != 2 {
		t.Errorf(`"0" with minimum 0.5: Remaining %d, want 2`, r)
	}
	for _, s := range []string{`{"type":"number","minimum":2,"maximum":1}`, `{"type":"number","exclusiveMinimum":1,"exclusiveMaximum":1}`, `{"type":"number","minimum":1e20}`, `{"type":"number","maximum":"3"}`} {
		var se *SchemaError
		if _, err := Compile([]byte(s)); !errors.As(err, &se) {
			t.Errorf("%s: err %v, want a SchemaError", s, err)
		}
	}
	// A bound of more than 15 significant digits is rounded inward: the
	// float64 of 0.30000000000000001 is that of 0.3, so 0.3 must not pass
	// an exclusive maximum of it.
	g, err := Compile([]byte(`{"type":"number","exclusiveMaximum":0.30000000000000001,"minimum":0.3}`))
	if err == nil {
		if st := g.Start().Feed([]byte("0.3")); len(st) > 0 && st.Complete() {
			t.Errorf("0.3 accepted under exclusiveMaximum 0.30000000000000001")
		}
	}
}
