package jsonmode

import (
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// testVocab has every single byte plus multi-byte tokens that span several
// grammar symbols (key and quote, closers, literals, digits).
func testVocab() *Vocab {
	var toks [][]byte
	for b := 0; b < 256; b++ {
		toks = append(toks, []byte{byte(b)})
	}
	for _, s := range []string{`{"`, `":`, `":"`, `"}`, `"]`, `}]`, `]}`, `,"`, `","`, `true`, `false`, `null`, `tr`, `ue`,
		`name`, `"name":"`, `age`, `12`, `3.5`, `e+`, `-0`, `ab`, `é`, "\xe2\x82", "\xac", `\u00`, `\n`, `[{`, `}}`, ` {`, `  `, `color`, `red`, `"red"`, `:[`, `[]`, `{}`} {
		toks = append(toks, []byte(s))
	}
	return NewVocab(toks)
}

// rng is a small LCG so runs repeat.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s = r.s*6364136223846793005 + 1442695040888963407
	return r.s >> 11
}

// run generates under g with random logits (a model that prefers a new
// random token each step) and returns the text and whether it ended Done.
func run(t *testing.T, g *Grammar, v *Vocab, seed uint64, maxTokens int) (string, bool) {
	t.Helper()
	eos := int32(v.Size()) // one extra id past the vocabulary
	c, err := g.NewConstraint(v, []int32{eos}, maxTokens)
	if err != nil {
		t.Fatal(err)
	}
	r := &rng{seed}
	var out []byte
	logits := make([]float32, v.Size()+1)
	for i := 0; i < maxTokens; i++ {
		for j := range logits {
			logits[j] = float32(r.next()%1000) / 100
		}
		if err := c.Mask(logits, maxTokens-i); err != nil {
			t.Fatalf("seed %d step %d after %q: %v", seed, i, out, err)
		}
		best := 0
		for j, x := range logits {
			if x > logits[best] {
				best = j
			}
		}
		if math.IsInf(float64(logits[best]), -1) {
			t.Fatalf("seed %d: every token masked", seed)
		}
		if err := c.Accept(int32(best)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if int32(best) != eos {
			out = append(out, v.bytes[best]...)
		}
		if c.Done() {
			return string(out), true
		}
	}
	return string(out), false
}

// manySeeds is the random runs per schema: fewer under js/wasm in Node
// (the same code, several times slower), where CI runs this package too.
var manySeeds = map[bool]uint64{false: 300, true: 60}[runtime.GOOS == "js"]

// Each case checks its outputs with a predicate written from the schema
// by hand (an independent reading of it), besides json.Unmarshal.
var schemaCases = []struct {
	name, schema string
	ok           func(v any) bool
}{
	{"object", `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}`,
		func(v any) bool {
			m, ok := v.(map[string]any)
			if !ok || len(m) != 2 {
				return false
			}
			_, s := m["name"].(string)
			a, n := m["age"].(float64)
			return s && n && a == math.Trunc(a)
		}},
	{"enum", `{"enum":["red","green",3,null,true]}`, func(v any) bool {
		return v == "red" || v == "green" || v == float64(3) || v == nil || v == true
	}},
	{"const", `{"const":{"a":[1,"x"]}}`, func(v any) bool {
		b, _ := json.Marshal(v)
		return string(b) == `{"a":[1,"x"]}`
	}},
	{"array", `{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":4}`, func(v any) bool {
		a, ok := v.([]any)
		if !ok || len(a) < 2 || len(a) > 4 {
			return false
		}
		for _, x := range a {
			if _, ok := x.(float64); !ok {
				return false
			}
		}
		return true
	}},
	{"anyOf", `{"anyOf":[{"type":"object","properties":{"k":{"type":"boolean"}},"required":["k"],"additionalProperties":false},{"type":"array","maxItems":0},{"type":["null","integer"]}]}`,
		func(v any) bool {
			switch v := v.(type) {
			case map[string]any:
				_, ok := v["k"].(bool)
				return ok && len(v) == 1
			case []any:
				return len(v) == 0
			case nil:
				return true
			case float64:
				return v == math.Trunc(v)
			}
			return false
		}},
	{"nested", `{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"},"maxItems":2},"opt":{"type":"null"}},"required":["id","tags"]}}},"required":["items"]}`,
		func(v any) bool {
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			items, ok := m["items"].([]any)
			if !ok {
				return false
			}
			for _, it := range items {
				o, ok := it.(map[string]any)
				if !ok {
					return false
				}
				if _, ok := o["id"].(float64); !ok {
					return false
				}
				tags, ok := o["tags"].([]any)
				if !ok || len(tags) > 2 {
					return false
				}
				if x, has := o["opt"]; has && x != nil {
					return false
				}
			}
			return true
		}},
	{"optional", `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"number"},"c":{"type":"boolean"}},"required":["c"]}`,
		func(v any) bool {
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			_, c := m["c"].(bool)
			return c
		}},
	{"any", `{}`, func(v any) bool { return true }},
	{"string", `{"type":"string"}`, func(v any) bool { _, ok := v.(string); return ok }},
	// Lengths in code points (utf8.RuneCountInString: what JSON Schema counts).
	{"lengths", `{"type":"array","items":{"type":"string","minLength":2,"maxLength":4},"minItems":1,"maxItems":3}`, func(v any) bool {
		a, ok := v.([]any)
		if !ok || len(a) < 1 || len(a) > 3 {
			return false
		}
		for _, x := range a {
			s, ok := x.(string)
			if n := utf8.RuneCountInString(s); !ok || n < 2 || n > 4 {
				return false
			}
		}
		return true
	}},
	// Integer bounds, inclusive and exclusive (JSON Schema 2020-12 §6.2),
	// checked on the parsed value.
	{"int bounds", `{"type":"array","items":{"type":"integer","minimum":-3,"maximum":12},"minItems":1}`, func(v any) bool {
		return allInts(v, func(x int64) bool { return x >= -3 && x <= 12 })
	}},
	{"int exclusive", `{"type":"object","properties":{"age":{"type":"integer","minimum":18,"exclusiveMaximum":130},"n":{"type":"integer","exclusiveMinimum":99.5,"maximum":250.7}},"required":["age","n"]}`,
		func(v any) bool {
			m, ok := v.(map[string]any)
			return ok && allInts([]any{m["age"]}, func(x int64) bool { return x >= 18 && x < 130 }) &&
				allInts([]any{m["n"]}, func(x int64) bool { return x > 99 && x <= 250 })
		}},
	{"int far", `{"type":"array","items":{"anyOf":[{"type":"integer","maximum":-1000},{"type":"integer","minimum":1000000}]},"minItems":2,"maxItems":4}`, func(v any) bool {
		return allInts(v, func(x int64) bool { return x <= -1000 || x >= 1000000 })
	}},
	// Number bounds (decimal.go), checked on the parsed float64s.
	{"number bounds", `{"type":"array","items":{"type":"number","exclusiveMinimum":-0.5,"maximum":2.25},"minItems":1,"maxItems":3}`, func(v any) bool {
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			return false
		}
		for _, x := range a {
			f, ok := x.(float64)
			if !ok || f <= -0.5 || f > 2.25 {
				return false
			}
		}
		return true
	}},
	// pydantic's shape: $defs, $ref, titles, Optional as anyOf with null.
	{"ref", `{"$defs":{"Pet":{"title":"Pet","type":"object","properties":{"kind":{"enum":["cat","dog"]},"age":{"anyOf":[{"type":"integer"},{"type":"null"}],"default":null}},"required":["kind"]}},"title":"Owner","type":"object","properties":{"pets":{"type":"array","items":{"$ref":"#/$defs/Pet"},"maxItems":2},"best":{"$ref":"#/$defs/Pet"}},"required":["pets","best"],"additionalProperties":false}`,
		func(v any) bool {
			m, ok := v.(map[string]any)
			if !ok || len(m) != 2 {
				return false
			}
			pet := func(x any) bool {
				p, ok := x.(map[string]any)
				if !ok || (p["kind"] != "cat" && p["kind"] != "dog") {
					return false
				}
				if a, has := p["age"]; has && a != nil {
					f, ok := a.(float64)
					return ok && f == math.Trunc(f)
				}
				return true
			}
			pets, ok := m["pets"].([]any)
			if !ok || len(pets) > 2 || !pet(m["best"]) {
				return false
			}
			for _, p := range pets {
				if !pet(p) {
					return false
				}
			}
			return true
		}},
	// No type: the keywords constrain only numbers (strings), other types
	// are free (JSON Schema Test Suite draft4 maximum.json, minLength.json).
	{"untyped maximum", `{"maximum":3}`, func(v any) bool { f, isNum := v.(float64); return !isNum || f <= 3 }},
	{"untyped minLength", `{"minLength":2,"maxLength":3}`, func(v any) bool {
		s, isStr := v.(string)
		return !isStr || (utf8.RuneCountInString(s) >= 2 && utf8.RuneCountInString(s) <= 3)
	}},
	{"untyped pattern", `{"pattern":"^a+$"}`, func(v any) bool { s, isStr := v.(string); return !isStr || strings.Trim(s, "a") == "" && s != "" }},
}

// allInts reports whether v is an array of integers each satisfying ok.
func allInts(v any, ok func(int64) bool) bool {
	a, isArr := v.([]any)
	if !isArr || len(a) == 0 {
		return false
	}
	for _, x := range a {
		f, isNum := x.(float64)
		if !isNum || f != math.Trunc(f) || !ok(int64(f)) {
			return false
		}
	}
	return true
}

// Integer bounds byte by byte: a prefix that can still grow into the range
// is alive but incomplete, one that cannot is dead; the shortest value
// sets MinLen.
func TestIntegerBounds(t *testing.T) {
	for _, tc := range []struct {
		schema string
		minLen int
		alive  []string // complete documents
		open   []string // alive, not complete
		dead   []string
	}{
		{`{"type":"integer","minimum":20,"maximum":350}`, 2, []string{"20", "99", "350", "123"}, []string{"1", "3"}, []string{"0", "-", "19 ", "351", "400", "20.5", "2e1"}},
		{`{"type":"integer","exclusiveMinimum":-5,"exclusiveMaximum":0}`, 2, []string{"-4", "-1"}, []string{"-"}, []string{"0", "-0", "-5", "1", "-10"}},
		{`{"type":"integer","minimum":-2,"maximum":2}`, 1, []string{"0", "-0", "-2", "2"}, []string{"-"}, []string{"3", "-3", "00", "-20"}},
		{`{"type":"integer","minimum":1000}`, 4, []string{"1000", "999999999999999"}, []string{"999"}, []string{"0", "-1", "9999999999999999"}},
	} {
		checkDocs(t, tc.schema, tc.minLen, tc.alive, tc.open, tc.dead)
	}
	// Under minimum 20, "2" needs one more digit (20..29) and "1" two
	// (100..199).
	g, _ := Compile([]byte(`{"type":"integer","minimum":20}`))
	for p, want := range map[string]int{"2": 1, "1": 2, "20": 0} {
		if r := g.Start().Feed([]byte(p)).Remaining(); r != want {
			t.Errorf("%q with minimum 20: Remaining %d, want %d", p, r, want)
		}
	}
	for _, s := range []string{`{"type":"integer","minimum":5,"maximum":4}`, `{"type":"integer","minimum":"3"}`, `{"type":"integer","exclusiveMinimum":2,"exclusiveMaximum":3}`} {
		var se *SchemaError
		if _, err := Compile([]byte(s)); !errors.As(err, &se) {
			t.Errorf("%s: err %v, want a SchemaError", s, err)
		}
	}
	var ue *UnsupportedError
	if _, err := Compile([]byte(`{"type":"integer","minimum":0,"exclusiveMinimum":true}`)); !errors.As(err, &ue) {
		t.Errorf("draft-4 boolean exclusiveMinimum: %v, want UnsupportedError", err)
	}
}

// checkDocs checks schema's MinLen and hand-worked documents: alive ones
// are complete, open ones alive but incomplete, dead ones never complete
// (nor alive, with a trailing space).
func checkDocs(t *testing.T, schema string, minLen int, alive, open, dead []string) {
	t.Helper()
	g, err := Compile([]byte(schema))
	if err != nil {
		t.Fatalf("%s: %v", schema, err)
	}
	if g.MinLen() != minLen {
		t.Errorf("%s: MinLen %d, want %d", schema, g.MinLen(), minLen)
	}
	for _, d := range alive {
		if st := g.Start().Feed([]byte(d)); len(st) == 0 || !st.Complete() || st.Remaining() != 0 {
			t.Errorf("%s: %q not a complete document", schema, d)
		}
	}
	for _, d := range open {
		if st := g.Start().Feed([]byte(d)); len(st) == 0 || st.Complete() || st.Remaining() < 1 {
			t.Errorf("%s: %q should be alive and incomplete", schema, d)
		}
	}
	for _, d := range dead {
		if st := g.Start().Feed([]byte(d)); len(st) > 0 && (st.Complete() || strings.HasSuffix(d, " ")) {
			t.Errorf("%s: %q accepted", schema, d)
		}
	}
}

// TestSchemaOrder: properties come in the order the schema writes them.
func TestSchemaOrder(t *testing.T) {
	g, err := Compile([]byte(`{"type":"object","properties":{"zeta":{"const":1},"alpha":{"const":2},"mid":{"const":3}},"required":["zeta","alpha","mid"]}`))
	if err != nil {
		t.Fatal(err)
	}
	out, done := run(t, g, testVocab(), 1, 40)
	if out != `{"zeta":1,"alpha":2,"mid":3}` && out != ` {"zeta":1,"alpha":2,"mid":3}` || !done {
		t.Fatalf("got %q (done %v)", out, done)
	}
}

func TestSchemasManySeeds(t *testing.T) {
	v := testVocab()
	for _, tc := range schemaCases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Compile([]byte(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(1); seed <= manySeeds; seed++ {
				maxTokens := g.MinLen() + int(seed%40)
				out, _ := run(t, g, v, seed, maxTokens)
				var x any
				if err := json.Unmarshal([]byte(out), &x); err != nil {
					t.Fatalf("seed %d (max %d): %q does not parse: %v", seed, maxTokens, out, err)
				}
				if !tc.ok(x) {
					t.Fatalf("seed %d: %q does not satisfy the schema", seed, out)
				}
			}
		})
	}
}

func TestJSONObjectManySeeds(t *testing.T) {
	v := testVocab()
	g := JSONObject()
	for seed := uint64(1); seed <= manySeeds; seed++ {
		out, _ := run(t, g, v, seed, 2+int(seed%60))
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil || m == nil {
			t.Fatalf("seed %d: %q is not a JSON object: %v", seed, out, err)
		}
	}
}

// TestFeedPrefixes checks the matcher against hand-written documents:
// valid ones are accepted byte by byte and complete, invalid ones die.
func TestFeedPrefixes(t *testing.T) {
	g, err := Compile([]byte(schemaCases[0].schema))
	if err != nil {
		t.Fatal(err)
	}
	// Properties come in the schema's order (name, then age).
	for _, doc := range []string{`{"name":"x","age":3}`, ` {"name":"\u00e9\n","age":-0}`, `{"name":"€","age":120000000000000}`} {
		st := g.Start().Feed([]byte(doc))
		if st == nil || !st.Complete() || !st.Final() {
			t.Errorf("%q: not accepted", doc)
		}
	}
	for _, doc := range []string{`{"name":"x","age":3}x`, `{"age":3,"name":"x"}`, `{"age":3}`, `{"name":"x","age":3.5}`, `{"name":"","age":01}`, `{"name":"\x01","age":1}`, "{\"name\":\"\xc0\x80\",\"age\":1}", `{"name":"x","age":1,"z":1}`, `{ "name":"x","age":1}`} {
		st := g.Start().Feed([]byte(doc))
		if st != nil && st.Complete() {
			t.Errorf("%q: accepted", doc)
		}
	}
}

func TestUnsupportedKeywords(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{`{"type":"string","pattern":"^a(?!b)"}`, "pattern (lookaround)"},
		{`{"type":"string","pattern":"^a","maxLength":3}`, "pattern with minLength or maxLength"},
		{`{"type":"object","properties":{"x":{"$ref":"https://example.com/s.json"}}}`, `$ref "https://example.com/s.json" (only #/$defs/… and #/definitions/…)`},
		{`{"$defs":{"n":{"type":"object","properties":{"next":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"}`, `$ref "#/$defs/n" (recursive)`},
		{`{"oneOf":[{"type":"string"}]}`, "oneOf"},
		{`{"type":"number","minimum":0,"exclusiveMaximum":true}`, "exclusiveMaximum (a boolean, JSON Schema draft 4)"},
		{`{"maximum":3,"exclusiveMaximum":true}`, "exclusiveMaximum (a boolean, JSON Schema draft 4)"},
	} {
		_, err := Compile([]byte(tc.schema))
		var ue *UnsupportedError
		if !errors.As(err, &ue) || strings.Join(ue.Keywords, ", ") != tc.want {
			t.Errorf("%s: got %v, want UnsupportedError naming %s", tc.schema, err, tc.want)
		}
	}
	for _, s := range []string{`{"type":"string","minLength":3,"maxLength":2}`, `{"$ref":"#/$defs/missing"}`, `{"type":"strin"}`, `{"enum":[]}`, `{"type":"array","minItems":3,"maxItems":1}`, `[`, `{"type":"string","enum":[1]}`} {
		_, err := Compile([]byte(s))
		var se *SchemaError
		if !errors.As(err, &se) {
			t.Errorf("%s: got %v, want SchemaError", s, err)
		}
	}
}

func TestBudgetTooSmall(t *testing.T) {
	g, err := Compile([]byte(schemaCases[0].schema))
	if err != nil {
		t.Fatal(err)
	}
	// {"age":0,"name":""} is 19 bytes.
	if g.MinLen() != 19 {
		t.Fatalf("MinLen %d, want 19", g.MinLen())
	}
	if _, err := g.NewConstraint(testVocab(), nil, 18); !errors.Is(err, ErrBudget) {
		t.Fatalf("got %v, want ErrBudget", err)
	}
}

// TestMaskMatchesBruteForce: Mask (trie walk, plain-string shortcut)
// allows exactly the tokens that feeding each token's bytes alone says
// continue the document within budget, at every prefix of random runs.
func TestMaskMatchesBruteForce(t *testing.T) {
	v := testVocab()
	eos := int32(v.Size())
	for _, tc := range schemaCases {
		g, err := Compile([]byte(tc.schema))
		if err != nil {
			t.Fatal(err)
		}
		for seed := uint64(1); seed <= 20; seed++ {
			maxTokens := g.MinLen() + int(seed%30)
			out, _ := run(t, g, v, seed, maxTokens)
			// Re-walk out one byte-token at a time, checking the mask at
			// every step against brute force; the budget is tight near
			// the end so the budget rule is checked too.
			maxTokens = len(out) + int(seed%4)
			c, err := g.NewConstraint(v, []int32{eos}, maxTokens)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i <= len(out) && i < maxTokens; i++ {
				logits := make([]float32, v.Size()+1)
				if err := c.Mask(logits, maxTokens-i); err != nil {
					t.Fatal(err)
				}
				for id := 0; id < v.Size(); id++ {
					next := c.state.Feed(v.bytes[id])
					want := next != nil && next.Remaining() <= maxTokens-i-1
					if got := !math.IsInf(float64(logits[id]), -1); got != want {
						t.Fatalf("%s seed %d after %q: token %q allowed %v, brute force %v", tc.name, seed, out[:i], v.bytes[id], got, want)
					}
				}
				if got := !math.IsInf(float64(logits[eos]), -1); got != c.state.Complete() {
					t.Fatalf("%s after %q: EOS allowed %v, complete %v", tc.name, out[:i], got, c.state.Complete())
				}
				if i == len(out) {
					break
				}
				if err := c.Accept(int32(out[i])); err != nil { // single-byte tokens are ids 0..255
					t.Fatal(err)
				}
			}
		}
	}
}
