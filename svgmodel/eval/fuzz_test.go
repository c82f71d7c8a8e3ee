package eval

import (
	"errors"
	"testing"
	"testing/fstest"
)

// FuzzLoadDataset feeds arbitrary manifest and metadata bytes to LoadDataset: it must return
// a dataset or an ErrData error, never panic. The .npy bytes stay valid: dataset.ReadNPY has
// its own fuzz target, and it allocates the size a header declares (up to 1 GiB) before
// reading, which would make this target crawl.
func FuzzLoadDataset(f *testing.F) {
	good := synthDataset(f, 3, 2)
	f.Add(good["manifest.json"].Data, good["val.jsonl"].Data)
	f.Add([]byte(`{"K":1,"N":1,"F":14,"viewbox":[0,0,1,1],"splits":{"train":{"tokens":"val.npy","metadata":"val.jsonl"},"val":{"tokens":"val.npy","metadata":"val.jsonl"}}}`),
		[]byte("{}\n"))
	f.Add([]byte(`{"K":48,"N":16,"F":104,"viewbox":[0,0,36,36],"splits":{"train":{"tokens":"train.npy","metadata":"val.jsonl"},"val":{"tokens":"val.npy","metadata":"train.jsonl"}}}`),
		[]byte(`{"label":"x","base":"A"}`+"\n"+`{"label":"y","base":"A"}`+"\n"))
	f.Fuzz(func(t *testing.T, manifest, meta []byte) {
		fsys := fstest.MapFS{}
		for k, v := range good {
			fsys[k] = v
		}
		fsys["manifest.json"] = &fstest.MapFile{Data: manifest}
		fsys["val.jsonl"] = &fstest.MapFile{Data: meta}
		ds, err := LoadDataset(fsys)
		if err != nil {
			if !errors.Is(err, ErrData) {
				t.Fatalf("error %v does not wrap ErrData", err)
			}
			return
		}
		// Every row decodes or fails cleanly.
		for i := 0; i < ds.Val.Rows; i++ {
			ds.Doc(&ds.Val, i)
		}
		ds.SelectPrompts(3, 1)
	})
}
