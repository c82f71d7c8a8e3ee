package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lamina-ml/lamina/tensor"
)

// stFile assembles a safetensors file from a header string and data bytes.
func stFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func openBytes(b []byte) (*Safetensors, error) {
	return OpenSafetensors(bytes.NewReader(b), int64(len(b)))
}

func TestSafetensorsValid(t *testing.T) {
	data := make([]byte, 4*6+2*2)
	binary.LittleEndian.PutUint32(data[4:], 0x3f800000) // a[1] = 1.0
	hdr := `{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},` +
		`"b":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]},"empty":{"dtype":"F64","shape":[0],"data_offsets":[28,28]}}  `
	st, err := openBytes(stFile(hdr, data))
	if err != nil {
		t.Fatal(err)
	}
	if st.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", st.Metadata)
	}
	if got := st.Names(); strings.Join(got, ",") != "a,b,empty" {
		t.Errorf("names %v", got)
	}
	a, _ := st.Info("a")
	if dt, err := a.DType(); err != nil || dt != tensor.F32 || a.Shape[0] != 2 || a.Shape[1] != 3 {
		t.Errorf("info a = %+v, %v", a, err)
	}
	raw, err := st.ReadTensor("a", nil)
	if err != nil || len(raw) != 24 || binary.LittleEndian.Uint32(raw[4:]) != 0x3f800000 {
		t.Errorf("ReadTensor a = %v, %v", raw, err)
	}
	e, _ := st.Info("empty")
	if _, err := e.DType(); !errors.Is(err, ErrUnsupportedDType) {
		t.Errorf("F64 dtype: err %v, want ErrUnsupportedDType", err)
	}
}

func TestSafetensorsInvalid(t *testing.T) {
	okHdr := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, MaxHeaderSize+1)
	tests := []struct {
		name string
		file []byte
		want string // substring of the HeaderError reason
	}{
		{"too short", []byte{1, 2, 3}, "too short"},
		{"huge header length", append(huge, make([]byte, 64)...), "exceeds"},
		{"header past end", stFile(okHdr, nil)[:20], "past the end"},
		{"truncated data", stFile(okHdr, make([]byte, 4)), "data section has 4"},
		{"trailing data", stFile(okHdr, make([]byte, 12)), "data section has 12"},
		{"bad utf8", stFile("{\"a\xff\":{}}", nil), "UTF-8"},
		{"not json", stFile("{nope", nil), "not valid JSON"},
		{"not an object", stFile("[1,2]", nil), "not a JSON object"},
		{"bad dtype", stFile(`{"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "unknown dtype"},
		{"size mismatch", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), "needs 12"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, make([]byte, 8)), "negative"},
		{"overflowing shape", stFile(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), "overflows"},
		{"reversed offsets", stFile(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}`, make([]byte, 8)), "invalid data_offsets"},
		{"three offsets", stFile(`{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8,9]}}`, make([]byte, 8)), "two entries"},
		{"missing field", stFile(`{"a":{"dtype":"U8","shape":[8]}}`, make([]byte, 8)), "needs dtype"},
		{"overlap", stFile(`{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}`, make([]byte, 8)), "overlaps"},
		{"gap", stFile(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}}`, make([]byte, 10)), "gap"},
		{"metadata not strings", stFile(`{"__metadata__":{"x":1}}`, nil), "__metadata__"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openBytes(tc.file)
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("err %v (%T), want *HeaderError", err, err)
			}
			if !strings.Contains(he.Reason, tc.want) {
				t.Errorf("reason %q, want it to mention %q", he.Reason, tc.want)
			}
		})
	}
}

// TestLoadFromMapFS loads a fixture from an in-memory file system, as the
// browser does, and checks it matches the directory load.
func TestLoadFromMapFS(t *testing.T) {
	dir := filepath.Join("testdata", "llama-tiny-sharded-f16")
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: b}
	}
	m, ref := loadFixture(t, "llama-tiny-sharded-f16")
	m2, err := Load(fsys, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	a, err := m.Logits(ref.InputIDs[:3])
	if err != nil {
		t.Fatal(err)
	}
	b, err := m2.Logits(ref.InputIDs[:3])
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if d := maxAbsDiff(a[i], b[i]); d != 0 {
			t.Errorf("row %d differs by %g", i, d)
		}
	}

	// Broken folders give errors, not panics.
	broken := []struct {
		name   string
		mutate func(fstest.MapFS)
	}{
		{"no config", func(f fstest.MapFS) { delete(f, "config.json") }},
		{"missing shard", func(f fstest.MapFS) { delete(f, "model-00003-of-00005.safetensors") }},
		{"shard outside folder", func(f fstest.MapFS) {
			f["model.safetensors.index.json"] = &fstest.MapFile{Data: []byte(`{"weight_map":{"lm_head.weight":"../x.safetensors"}}`)}
		}},
		{"index names wrong shard", func(f fstest.MapFS) {
			idx := strings.Replace(string(f["model.safetensors.index.json"].Data), `"lm_head.weight": "model-00005-of-00005.safetensors"`, `"lm_head.weight": "model-00001-of-00005.safetensors"`, 1)
			f["model.safetensors.index.json"] = &fstest.MapFile{Data: []byte(idx)}
		}},
		{"wrong shape", func(f fstest.MapFS) {
			f["config.json"] = &fstest.MapFile{Data: bytes.Replace(f["config.json"].Data, []byte(`"intermediate_size": 172`), []byte(`"intermediate_size": 170`), 1)}
		}},
		{"truncated shard", func(f fstest.MapFS) {
			d := f["model-00002-of-00005.safetensors"].Data
			f["model-00002-of-00005.safetensors"] = &fstest.MapFile{Data: d[:len(d)-10]}
		}},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			f := fstest.MapFS{}
			for k, v := range fsys {
				f[k] = v
			}
			tc.mutate(f)
			if m, err := Load(f, tensor.NewCPU()); err == nil {
				m.Close()
				t.Errorf("loaded a broken model folder")
			} else {
				t.Log(err)
			}
		})
	}
}

// FuzzSafetensorsHeader feeds arbitrary files to the header parser: it must
// return an error or a header whose tensors all lie inside the file.
func FuzzSafetensorsHeader(f *testing.F) {
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(stFile(`{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := openBytes(b)
		if err != nil {
			return
		}
		for _, name := range st.Names() {
			info, _ := st.Info(name)
			if st.data+info.End > int64(len(b)) {
				t.Fatalf("tensor %q ends at %d past the file (%d)", name, st.data+info.End, len(b))
			}
			if _, err := st.ReadTensor(name, nil); err != nil {
				t.Fatalf("ReadTensor(%q): %v", name, err)
			}
		}
	})
}

// FuzzShardIndex: model.safetensors.index.json either parses into plain
// shard file names or fails with a *HeaderError.
func FuzzShardIndex(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "llama-tiny-sharded-f16", "model.safetensors.index.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"weight_map":{"a":"../b"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		wm, err := parseShardIndex(b)
		if err != nil {
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("error %v is %T, not *HeaderError", err, err)
			}
			return
		}
		for _, file := range wm {
			if strings.ContainsAny(file, `/\`) || file == ".." || file == "." || file == "" {
				t.Fatalf("accepted shard name %q", file)
			}
		}
	})
}
