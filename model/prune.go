package model

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/tensor"
)

// LayerScores are layer-removal scores from calibration text.
type LayerScores struct {
	// Tokens is how many token positions were scored.
	Tokens int `json:"tokens"`
	// BlockInfluence[i] is ShortGPT's Block Influence of layer i (Men et
	// al. 2024): the mean over tokens of 1 − cos(x_in, x_out) for the
	// residual stream entering and leaving the layer. Layers of low BI
	// change the stream least and are removed first.
	BlockInfluence []float64 `json:"block_influence"`
	// AttnSimilarity[i] and MLPSimilarity[i] are AdaSkip's sublayer
	// scores (He et al. 2025): the mean over tokens of cos(input, output)
	// of layer i's attention and MLP sub-blocks on the residual stream.
	// The most similar sublayers are skipped first.
	AttnSimilarity []float64 `json:"attn_similarity"`
	MLPSimilarity  []float64 `json:"mlp_similarity"`
}

// ScoreLayers runs each calibration sequence (at positions 0.., at most
// MaxPositions tokens each) through the model and averages the scores of
// LayerScores over all their positions.
func (m *Model) ScoreLayers(seqs [][]int32) (LayerScores, error) {
	L := m.Config.Layers
	sc := LayerScores{BlockInfluence: make([]float64, L), AttnSimilarity: make([]float64, L), MLPSimilarity: make([]float64, L)}
	for _, ids := range seqs {
		block, attn, mlp, err := m.layerCosines(ids)
		if err != nil {
			return sc, err
		}
		for i := range L {
			for t := range ids {
				sc.BlockInfluence[i] += 1 - block[i][t]
				sc.AttnSimilarity[i] += attn[i][t]
				sc.MLPSimilarity[i] += mlp[i][t]
			}
		}
		sc.Tokens += len(ids)
	}
	if sc.Tokens == 0 {
		return sc, errors.New("model: no calibration tokens")
	}
	for i := range L {
		sc.BlockInfluence[i] /= float64(sc.Tokens)
		sc.AttnSimilarity[i] /= float64(sc.Tokens)
		sc.MLPSimilarity[i] /= float64(sc.Tokens)
	}
	return sc, nil
}

// layerCosines returns, for every layer i and position t of ids, the cosine
// of the residual stream entering and leaving layer i (block), entering and
// leaving its attention sub-block (attn) and its MLP sub-block (mlp).
func (m *Model) layerCosines(ids []int32) (block, attn, mlp [][]float64, err error) {
	T := len(ids)
	if T == 0 {
		return nil, nil, nil, errors.New("model: no tokens")
	}
	if m.Config.MaxPositions > 0 && T > m.Config.MaxPositions {
		return nil, nil, nil, fmt.Errorf("model: %d tokens exceed the model's %d positions", T, m.Config.MaxPositions)
	}
	kc, err := m.newCache(T)
	if err != nil {
		return nil, nil, nil, err
	}
	defer kc.free(m.be)
	a, err := m.newActs(T)
	if err != nil {
		return nil, nil, nil, err
	}
	defer a.free()
	C := m.Config.Hidden
	var in, mid []float32 // the stream entering the layer, and after its attention
	read := func(x tensor.Tensor) ([]float32, error) {
		v, err := m.be.Read(x, 0, -1)
		return slices.Clone(v), err
	}
	cos := func(p, q []float32) []float64 {
		out := make([]float64, T)
		for t := range T {
			out[t] = cosine(p[t*C:(t+1)*C], q[t*C:(t+1)*C])
		}
		return out
	}
	a.afterAttn = func(i int, x tensor.Tensor) error {
		v, err := read(x)
		if err != nil {
			return err
		}
		mid = v
		attn = append(attn, cos(in, mid))
		return nil
	}
	err = m.forward(a, kc, ids, 0, func(i int, x tensor.Tensor) error {
		v, err := read(x)
		if err != nil {
			return err
		}
		if i > 0 {
			block = append(block, cos(in, v))
			mlp = append(mlp, cos(mid, v))
		}
		in = v
		return nil
	})
	return block, attn, mlp, err
}

func cosine(p, q []float32) float64 {
	var pq, pp, qq float64
	for i := range p {
		pq += float64(p[i]) * float64(q[i])
		pp += float64(p[i]) * float64(p[i])
		qq += float64(q[i]) * float64(q[i])
	}
	if pp == 0 || qq == 0 {
		return 0
	}
	return pq / math.Sqrt(pp*qq)
}

// PrunePlan says what PruneDir removes, by layer index of the source model.
type PrunePlan struct {
	// DropLayers are removed whole: the layers after them move down.
	DropLayers []int `json:"drop_layers"`
	// SkipAttn and SkipMLP are sub-blocks of kept layers whose output
	// projection (and its bias) is written as zeros: the residual stream
	// then passes them unchanged, which is skipping them (Hugging Face
	// configs have no way to leave a sub-block out, so their weights stay
	// in the file).
	SkipAttn []int `json:"skip_attn,omitempty"`
	SkipMLP  []int `json:"skip_mlp,omitempty"`
}

// ShortGPTPlan drops the n layers of lowest Block Influence.
func ShortGPTPlan(s LayerScores, n int) (PrunePlan, error) {
	L := len(s.BlockInfluence)
	if n < 0 || n >= L {
		return PrunePlan{}, fmt.Errorf("model: cannot remove %d of %d layers", n, L)
	}
	order := make([]int, L)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.BlockInfluence[order[a]] < s.BlockInfluence[order[b]] })
	drop := slices.Clone(order[:n])
	slices.Sort(drop)
	return PrunePlan{DropLayers: drop}, nil
}

// AdaSkipPlan skips the 2n sub-blocks (attention or MLP; n layers' worth)
// of highest input/output similarity; a layer losing both is dropped whole.
func AdaSkipPlan(s LayerScores, n int) (PrunePlan, error) {
	L := len(s.AttnSimilarity)
	if n < 0 || n >= L {
		return PrunePlan{}, fmt.Errorf("model: cannot remove %d of %d layers' worth of sub-blocks", n, L)
	}
	type sub struct {
		layer int
		mlp   bool
		sim   float64
	}
	var subs []sub
	for i := range L {
		subs = append(subs, sub{i, false, s.AttnSimilarity[i]}, sub{i, true, s.MLPSimilarity[i]})
	}
	sort.SliceStable(subs, func(a, b int) bool { return subs[a].sim > subs[b].sim })
	attn, mlp := map[int]bool{}, map[int]bool{}
	for _, sb := range subs[:2*n] {
		if sb.mlp {
			mlp[sb.layer] = true
		} else {
			attn[sb.layer] = true
		}
	}
	var p PrunePlan
	for i := range L {
		switch {
		case attn[i] && mlp[i]:
			p.DropLayers = append(p.DropLayers, i)
		case attn[i]:
			p.SkipAttn = append(p.SkipAttn, i)
		case mlp[i]:
			p.SkipMLP = append(p.SkipMLP, i)
		}
	}
	return p, nil
}

// layerPrefixes are the tensor-name prefixes of decoder layers: Llama and
// Qwen2 (model.layers.N.), GPT-2 (transformer.h.N. or h.N.).
var layerPrefixes = []string{"model.layers.", "transformer.h.", "h."}

// attnOut and mlpOut are the output projections of the sub-blocks, by the
// name after the layer prefix (Llama/Qwen2, then GPT-2).
var attnOut = []string{"self_attn.o_proj.weight", "self_attn.o_proj.bias", "attn.c_proj.weight", "attn.c_proj.bias"}
var mlpOut = []string{"mlp.down_proj.weight", "mlp.down_proj.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"}

// splitLayerName splits "model.layers.3.mlp.up_proj.weight" into
// ("model.layers.", 3, "mlp.up_proj.weight"); ok is false for tensors
// outside the decoder layers.
func splitLayerName(name string) (prefix string, layer int, rest string, ok bool) {
	for _, p := range layerPrefixes {
		if !strings.HasPrefix(name, p) {
			continue
		}
		num, rest, found := strings.Cut(name[len(p):], ".")
		n, err := strconv.Atoi(num)
		if found && err == nil && n >= 0 {
			return p, n, rest, true
		}
	}
	return "", 0, "", false
}

// pruneCopyFiles are the files PruneDir copies unchanged (tokenizer and
// generation defaults); the model card and evaluations describe the
// source model, so they are not copied.
var pruneCopyFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
	"vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "added_tokens.json"}

// PruneDir writes to dst (created if missing) the Hugging Face model folder
// src with plan applied: config.json with the new layer count
// (num_hidden_layers, or GPT-2's n_layer; a per-layer "layer_types" list is
// cut to match), one model.safetensors with the kept layers renumbered
// 0.. and the skipped sub-blocks' output projections zeroed, and the
// tokenizer and generation files. The result loads with LoadDir and with
// transformers.
func PruneDir(src, dst string, plan PrunePlan) error {
	cfgData, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return fmt.Errorf("model: config.json: %w", err)
	}
	key := "num_hidden_layers"
	if _, ok := cfg[key]; !ok {
		key = "n_layer"
	}
	Lf, ok := cfg[key].(float64)
	if !ok {
		return fmt.Errorf("model: config.json has no num_hidden_layers or n_layer")
	}
	L := int(Lf)
	drop := map[int]bool{}
	for _, i := range plan.DropLayers {
		if i < 0 || i >= L {
			return fmt.Errorf("model: cannot drop layer %d of %d", i, L)
		}
		drop[i] = true
	}
	if len(drop) >= L {
		return fmt.Errorf("model: dropping %d of %d layers leaves none", len(drop), L)
	}
	for _, i := range slices.Concat(plan.SkipAttn, plan.SkipMLP) {
		if i < 0 || i >= L || drop[i] {
			return fmt.Errorf("model: cannot skip a sub-block of layer %d (of %d, dropped %v)", i, L, plan.DropLayers)
		}
	}
	newIndex := make([]int, L) // source layer → kept layer index, -1 dropped
	kept := 0
	for i := range L {
		newIndex[i] = -1
		if !drop[i] {
			newIndex[i] = kept
			kept++
		}
	}
	cfg[key] = kept
	if lt, ok := cfg["layer_types"].([]any); ok && len(lt) == L {
		var keep []any
		for i, v := range lt {
			if !drop[i] {
				keep = append(keep, v)
			}
		}
		cfg["layer_types"] = keep
	}

	files, err := safetensorsFiles(src)
	defer func() {
		for _, f := range files {
			if c, ok := f.r.(io.Closer); ok {
				c.Close()
			}
		}
	}()
	if err != nil {
		return err
	}
	type entry struct {
		st      *Safetensors
		src     string // source tensor name
		info    TensorInfo
		zero    bool
		outName string
	}
	var entries []entry
	for _, f := range files {
		for _, name := range f.Names() {
			info, _ := f.Info(name)
			e := entry{st: f, src: name, info: info, outName: name}
			if p, i, rest, ok := splitLayerName(name); ok {
				if i >= L {
					return fmt.Errorf("model: tensor %q of layer %d in a %d-layer model", name, i, L)
				}
				if drop[i] {
					continue
				}
				e.outName = p + strconv.Itoa(newIndex[i]) + "." + rest
				e.zero = slices.Contains(plan.SkipAttn, i) && slices.Contains(attnOut, rest) ||
					slices.Contains(plan.SkipMLP, i) && slices.Contains(mlpOut, rest)
			}
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(a, b int) bool { return entries[a].outName < entries[b].outName })

	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var off int64
	for _, e := range entries {
		n := e.info.End - e.info.Begin
		header[e.outName] = map[string]any{"dtype": e.info.DTypeName, "shape": e.info.Shape, "data_offsets": []int64{off, off + n}}
		off += n
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return err
	}
	// The data section starts 8-byte aligned: pad the header with spaces,
	// as the reference writer does.
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out, err := os.Create(filepath.Join(dst, "model.safetensors"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	w.Write(lenBuf[:])
	w.Write(hdr)
	var buf []byte
	for _, e := range entries {
		if buf, err = e.st.ReadTensor(e.src, buf); err != nil {
			out.Close()
			return err
		}
		if e.zero {
			clear(buf)
		}
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	cfgOut, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "config.json"), append(cfgOut, '\n'), 0o644); err != nil {
		return err
	}
	for _, name := range pruneCopyFiles {
		data, err := os.ReadFile(filepath.Join(src, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// safetensorsFiles opens src's model.safetensors, or the shards its
// model.safetensors.index.json names.
func safetensorsFiles(src string) ([]*Safetensors, error) {
	names := []string{"model.safetensors"}
	if idx, err := os.ReadFile(filepath.Join(src, "model.safetensors.index.json")); err == nil {
		wm, err := parseShardIndex(idx)
		if err != nil {
			return nil, err
		}
		names = names[:0]
		for _, f := range wm {
			if !slices.Contains(names, f) {
				names = append(names, f)
			}
		}
		slices.Sort(names)
	}
	var files []*Safetensors
	for _, n := range names {
		f, err := os.Open(filepath.Join(src, n))
		if err != nil {
			return files, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return files, err
		}
		st, err := OpenSafetensors(f, fi.Size())
		if err != nil {
			f.Close()
			return files, fmt.Errorf("%s: %w", n, err)
		}
		files = append(files, st)
	}
	return files, nil
}
