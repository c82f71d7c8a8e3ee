package eval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"

	"github.com/lamina-ml/lamina/vector"
	"github.com/lamina-ml/lamina/vector/dataset"
)

// ErrData is wrapped by every error about a malformed dataset folder.
var ErrData = errors.New("eval: bad dataset")

// Split is one split of the dataset: Rows token arrays of K·F values and their metadata.
type Split struct {
	Rows   int
	Tokens []float32 // Tokens is (Rows,K,F)
	Meta   []dataset.Meta
}

// Row returns row i's K·F token values.
func (s *Split) Row(i int, kf int) []float32 { return s.Tokens[i*kf : (i+1)*kf] }

// Dataset is a `lamina svg dataset` folder: manifest.json, train and val token arrays and
// their jsonl metadata.
type Dataset struct {
	K, N, F    int
	ViewBox    [4]float64
	Train, Val Split
}

// maxMetaLine bounds one jsonl line (a Meta is a few hundred bytes).
const maxMetaLine = 1 << 20

// LoadDataset reads the dataset in fsys (the folder `lamina svg dataset --out` wrote).
func LoadDataset(fsys fs.FS) (*Dataset, error) {
	mb, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrData, err)
	}
	var man dataset.Manifest
	if err := json.Unmarshal(mb, &man); err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", ErrData, err)
	}
	if man.K <= 0 || man.N <= 0 || man.F != vector.SlotFields(man.N) {
		return nil, fmt.Errorf("%w: manifest K=%d N=%d F=%d", ErrData, man.K, man.N, man.F)
	}
	if man.ViewBox[2] <= 0 || man.ViewBox[3] <= 0 {
		return nil, fmt.Errorf("%w: manifest viewbox %v", ErrData, man.ViewBox)
	}
	ds := &Dataset{K: man.K, N: man.N, F: man.F, ViewBox: man.ViewBox}
	for _, sp := range []struct {
		name string
		dst  *Split
	}{{"train", &ds.Train}, {"val", &ds.Val}} {
		info, ok := man.Splits[sp.name]
		if !ok {
			return nil, fmt.Errorf("%w: manifest has no %q split", ErrData, sp.name)
		}
		if err := loadSplit(fsys, info, man.K, man.F, sp.dst); err != nil {
			return nil, fmt.Errorf("%s split: %w", sp.name, err)
		}
	}
	return ds, nil
}

func loadSplit(fsys fs.FS, info dataset.SplitInfo, k, f int, dst *Split) error {
	tf, err := fsys.Open(info.Tokens)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrData, err)
	}
	defer tf.Close()
	shape, data, err := dataset.ReadNPY(bufio.NewReader(tf))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrData, info.Tokens, err)
	}
	if len(shape) != 3 || shape[1] != k || shape[2] != f {
		return fmt.Errorf("%w: %s has shape %v, want (rows,%d,%d)", ErrData, info.Tokens, shape, k, f)
	}
	mf, err := fsys.Open(info.Metadata)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrData, err)
	}
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	sc.Buffer(make([]byte, 64<<10), maxMetaLine)
	var meta []dataset.Meta
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var m dataset.Meta
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("%w: %s line %d: %v", ErrData, info.Metadata, len(meta)+1, err)
		}
		meta = append(meta, m)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrData, info.Metadata, err)
	}
	if len(meta) != shape[0] {
		return fmt.Errorf("%w: %s has %d lines for %d token rows", ErrData, info.Metadata, len(meta), shape[0])
	}
	*dst = Split{Rows: shape[0], Tokens: data, Meta: meta}
	return nil
}

// Doc decodes row i of split s into a document in the dataset's viewBox.
func (ds *Dataset) Doc(s *Split, i int) (*vector.Document, error) {
	return vector.Detokenize(&vector.Tokens{K: ds.K, N: ds.N, ViewBox: ds.ViewBox, Data: s.Row(i, ds.K*ds.F)})
}

// Prompt is one validation prompt: the canonical caption of a validation emoji (its name, as
// train.py's caption(meta, None) gives it) with that emoji's row and labels.
type Prompt struct {
	Text     string `json:"prompt"`
	Row      int    `json:"val_row"`
	Group    string `json:"group"`
	Subgroup string `json:"subgroup"`
}

// bases returns the first row of every base emoji of s, in row order (skin-tone variants of
// one emoji share a base and a name stem, so they would be near-duplicate prompts).
func bases(s *Split) []int {
	seen := map[string]bool{}
	var rows []int
	for i, m := range s.Meta {
		key := m.Base
		if key == "" {
			key = m.Hexcode
		}
		if seen[key] || m.Label == "" {
			continue
		}
		seen[key] = true
		rows = append(rows, i)
	}
	return rows
}

// SelectPrompts returns n validation prompts: one per base emoji, shuffled by seed (val.jsonl
// is sorted by file name, so its first rows are all flags) and cut to the first n (n ≤ 0: all).
func (ds *Dataset) SelectPrompts(n int, seed uint64) []Prompt {
	rows := bases(&ds.Val)
	r := rand.New(rand.NewPCG(seed, 0x6c616d696e61)) // "lamina"
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	if n > 0 && n < len(rows) {
		rows = rows[:n]
	}
	out := make([]Prompt, len(rows))
	for i, row := range rows {
		m := ds.Val.Meta[row]
		out[i] = Prompt{Text: m.Label, Row: row, Group: m.Group, Subgroup: m.Subgroup}
	}
	return out
}
