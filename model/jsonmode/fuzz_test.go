package jsonmode

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzCompile: any input either fails with a typed error or compiles to
// a grammar whose random generations are valid JSON.
func FuzzCompile(f *testing.F) {
	for _, tc := range schemaCases {
		f.Add([]byte(tc.schema), uint64(1))
	}
	f.Add([]byte(`{"type":["string","null"],"enum":["a",null,1]}`), uint64(2))
	f.Add([]byte(`{"items":{"items":{"const":[]}},"minItems":1}`), uint64(3))
	v := testVocab()
	f.Fuzz(func(t *testing.T, schema []byte, seed uint64) {
		g, err := Compile(schema)
		if err != nil {
			requireTyped(t, err)
			return
		}
		if g.MinLen() > 4096 {
			return
		}
		out, _ := run(t, g, v, seed, g.MinLen()+int(seed%32))
		if !json.Valid([]byte(out)) {
			t.Fatalf("schema %s seed %d: %q is not JSON", schema, seed, out)
		}
	})
}

// requireTyped fails t unless err is an *UnsupportedError or *SchemaError.
func requireTyped(t *testing.T, err error) {
	t.Helper()
	var ue *UnsupportedError
	var se *SchemaError
	if !errors.As(err, &ue) && !errors.As(err, &se) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}
