// Package dataset builds the layered-SVG training set from emoji drawings in several styles —
// Twemoji's SVG files and the Iconify JSON sets of Noto, Fluent (flat), Emoji One, FxEmoji,
// Streamline and (only when asked, share-alike) OpenMoji — each joined to its emojibase-data
// entry (label, tags, group, subgroup): tokens per drawing (see package vector for the token
// layout), metadata with the drawing's set and style word, a deterministic train/validation
// split by base emoji shared by every set, a per-set report of what was dropped and why, the
// sources' license notices, a manifest, and a fidelity summary.
//
// Files written to the output folder:
//
//	train.npy, val.npy     float32 little-endian, shape (M, K, F), NumPy .npy v1.0
//	train.jsonl, val.jsonl one JSON object per row of the matching .npy, same order (Meta)
//	fidelity.jsonl         per source drawing: fits, IoU, RGBA error, unsupported features, drop reason
//	LICENSES.md            every source's license and attribution (travels with the data)
//	manifest.json          Manifest: K, N, F, field names, coordinate mapping, counts,
//	                       package versions, per-set reports, sha256 of every file above,
//	                       fidelity summary
//
// A drawing is dropped (and counted under its set and reason) when it joins no emoji, repeats
// an emoji its set already gave, fails to parse, paints nothing, needs more than K slots, or
// uses an SVG feature the reader cannot draw and that loses whole shapes (an element not drawn,
// a clip path or mask left unapplied, a paint that references nothing): see lossyFeature.
package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/lamina-ml/lamina/vector"
)

// Pinned source packages (scripts/fetch-data.sh installs exactly these).
const (
	TwemojiPackage   = "@twemoji/svg@15.0.0"
	EmojibasePackage = "emojibase-data@16.0.3"
	Format           = "lamina-layered-svg/1"
	// ValBuckets: a base emoji goes to validation when fnv1a64(base) % ValBuckets == 0 (≈10%).
	ValBuckets = 10
)

// Meta is one row's metadata (a line of train.jsonl / val.jsonl).
type Meta struct {
	Row      int      `json:"row"`
	File     string   `json:"file"`    // Twemoji file name (1f44b-1f3fb.svg) or set/icon (noto/waving-hand)
	Hexcode  string   `json:"hexcode"` // code points, upper-case, dash-separated (as the file name)
	Emoji    string   `json:"emoji"`
	Label    string   `json:"label"`
	Tags     []string `json:"tags"`
	Group    string   `json:"group"`
	Subgroup string   `json:"subgroup"`
	Base     string   `json:"base"` // split key: code points without skin tones and FE0F
	Tone     bool     `json:"skin_tone"`
	Layers   int      `json:"layers"`
	Slots    int      `json:"slots"`
	Set      string   `json:"set"`   // source set (Sets), e.g. "noto"
	Style    string   `json:"style"` // the style word a caption may carry
}

// FileReport is one line of fidelity.jsonl.
type FileReport struct {
	File        string   `json:"file"`
	Fits        bool     `json:"fits"`
	Slots       int      `json:"slots_needed"`
	Split       string   `json:"split"` // train, val or dropped
	Set         int      `json:"-"`
	Drop        string   `json:"dropped,omitempty"` // why it is not in the data (SetReport.Dropped key)
	Unsupported []string `json:"unsupported,omitempty"`
	Error       string   `json:"error,omitempty"`
	// LayersMerged is how many least-visible layers vector.FitLayers merged into a
	// neighbour so the drawing fits the K slots (0 for most drawings).
	LayersMerged int `json:"layers_merged,omitempty"`
	vector.Fidelity
}

// Summary is the fidelity summary over every source file.
type Summary struct {
	Files         int          `json:"files"`
	ParseErrors   int          `json:"parse_errors"`
	FitsInK       int          `json:"fits_in_k"`
	FitsShare     float64      `json:"fits_share"`
	MeanIoU       float64      `json:"mean_iou"`
	P5IoU         float64      `json:"p5_iou"`
	MinIoU        float64      `json:"min_iou"`
	MeanIoUFit    float64      `json:"mean_iou_fitting"` // over files that fit in K
	MeanSilIoU    float64      `json:"mean_silhouette_iou"`
	MeanRGBAError float64      `json:"mean_rgba_error"`
	MaxRGBAError  float64      `json:"max_rgba_error"`
	LostLayers    int          `json:"files_losing_layers"` // round trip has fewer layers (only when not fitting)
	MetricSize    int          `json:"metric_size_px"`
	Worst         []FileReport `json:"worst"`
}

// SplitInfo describes one split's files.
type SplitInfo struct {
	Rows        int    `json:"rows"`
	Bases       int    `json:"base_emoji"`
	Tokens      string `json:"tokens"`
	TokensSHA   string `json:"tokens_sha256"`
	Metadata    string `json:"metadata"`
	MetadataSHA string `json:"metadata_sha256"`
}

// Manifest is manifest.json.
type Manifest struct {
	Format      string               `json:"format"`
	K           int                  `json:"K"`
	N           int                  `json:"N"`
	F           int                  `json:"F"`
	Shape       string               `json:"shape"`
	Dtype       string               `json:"dtype"`
	Fields      []string             `json:"fields"`
	Layout      map[string]string    `json:"layout"`
	ViewBox     [4]float64           `json:"viewbox"`
	Splits      map[string]SplitInfo `json:"splits"`
	SplitRule   string               `json:"split_rule"`
	Sources     map[string]string    `json:"sources"`
	Attribution string               `json:"attribution"`
	Skipped     []string             `json:"skipped_not_fitting"`
	Sets        []SetReport          `json:"sets"`                   // per set: rows, drops by reason, license
	MissingSets []string             `json:"missing_sets,omitempty"` // default sets not installed
	Licenses    string               `json:"licenses"`               // LICENSES.md: every source's notice
	Fidelity    Summary              `json:"fidelity"`
	FidelityLog string               `json:"fidelity_log"`
	FidelitySHA string               `json:"fidelity_sha256"`
}

type emojiInfo struct {
	Label, Emoji, Group, Subgroup string
	Tags                          []string
	Tone                          bool
}

type ebEntry struct {
	Label    string    `json:"label"`
	Hexcode  string    `json:"hexcode"`
	Emoji    string    `json:"emoji"`
	Tags     []string  `json:"tags"`
	Group    *int      `json:"group"`
	Subgroup *int      `json:"subgroup"`
	Skins    []ebEntry `json:"skins"`
}

type ebMessages struct {
	Groups []struct {
		Key   string
		Order int
	} `json:"groups"`
	Subgroups []struct {
		Key   string
		Order int
	} `json:"subgroups"`
}

// normHex upper-cases a code point sequence, drops FE0F (Twemoji file names omit it) and
// leading zeros (emojibase writes the keycap "#" as 0023, Twemoji as 23).
func normHex(h string) string {
	var out []string
	for _, cp := range strings.Split(strings.ToUpper(h), "-") {
		if len(cp) > 1 {
			cp = strings.TrimLeft(cp, "0")
			if cp == "" {
				cp = "0"
			}
		}
		if cp != "FE0F" && cp != "" {
			out = append(out, cp)
		}
	}
	return strings.Join(out, "-")
}

// BaseKey drops skin-tone modifiers (1F3FB–1F3FF) and FE0F, so all variants of an emoji share it.
func BaseKey(hex string) string {
	var out []string
	for _, cp := range strings.Split(normHex(hex), "-") {
		switch cp {
		case "1F3FB", "1F3FC", "1F3FD", "1F3FE", "1F3FF":
			continue
		}
		out = append(out, cp)
	}
	return strings.Join(out, "-")
}

// IsValidation is the split rule: fnv1a64(BaseKey) % ValBuckets == 0.
func IsValidation(hex string) bool {
	h := fnv.New64a()
	h.Write([]byte(BaseKey(hex)))
	return h.Sum64()%ValBuckets == 0
}

var toneNames = map[string]string{
	"1F3FB": "light skin tone", "1F3FC": "medium-light skin tone", "1F3FD": "medium skin tone",
	"1F3FE": "medium-dark skin tone", "1F3FF": "dark skin tone",
}

// composeInfo describes a Twemoji sequence emojibase does not list (e.g. the non-RGI
// "man + christmas tree" variants) from its parts: the labels of its code points joined by
// " + ", skin tones appended, tags merged, group and subgroup from the first part that has one.
func composeInfo(hexc string, meta map[string]emojiInfo) emojiInfo {
	var out emojiInfo
	var labels, tones []string
	seen := map[string]bool{}
	for _, cp := range strings.Split(hexc, "-") {
		if cp == "200D" {
			continue
		}
		if t, ok := toneNames[cp]; ok {
			tones = append(tones, t)
			out.Tone = true
			continue
		}
		part, ok := meta[cp]
		if !ok {
			labels = append(labels, "U+"+cp)
			continue
		}
		labels = append(labels, part.Label)
		if out.Group == "" {
			out.Group, out.Subgroup = part.Group, part.Subgroup
		}
		for _, tag := range part.Tags {
			if !seen[tag] {
				seen[tag] = true
				out.Tags = append(out.Tags, tag)
			}
		}
	}
	for _, cp := range strings.Split(hexc, "-") {
		if r, err := strconv.ParseUint(cp, 16, 32); err == nil {
			out.Emoji += string(rune(r))
		}
	}
	out.Label = strings.Join(labels, " + ")
	if len(tones) > 0 {
		out.Label += ": " + strings.Join(tones, ", ")
	}
	return out
}

func loadEmojibase(dir string) (map[string]emojiInfo, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "en", "data.json"))
	if err != nil {
		return nil, err
	}
	var entries []ebEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("emojibase data.json: %w", err)
	}
	raw, err = os.ReadFile(filepath.Join(dir, "en", "messages.json"))
	if err != nil {
		return nil, err
	}
	var msg ebMessages
	if err := json.Unmarshal(raw, &msg); err != nil {
		return nil, fmt.Errorf("emojibase messages.json: %w", err)
	}
	groups, subgroups := map[int]string{}, map[int]string{}
	for _, g := range msg.Groups {
		groups[g.Order] = g.Key
	}
	for _, g := range msg.Subgroups {
		subgroups[g.Order] = g.Key
	}
	out := map[string]emojiInfo{}
	var add func(e ebEntry, parent *emojiInfo)
	add = func(e ebEntry, parent *emojiInfo) {
		info := emojiInfo{Label: e.Label, Emoji: e.Emoji, Tags: e.Tags, Tone: parent != nil}
		if e.Group != nil {
			info.Group = groups[*e.Group]
		}
		if e.Subgroup != nil {
			info.Subgroup = subgroups[*e.Subgroup]
		}
		if parent != nil { // skins carry no tags and sometimes no group: inherit
			if info.Tags == nil {
				info.Tags = parent.Tags
			}
			if info.Group == "" {
				info.Group, info.Subgroup = parent.Group, parent.Subgroup
			}
		}
		out[normHex(e.Hexcode)] = info
		for _, s := range e.Skins {
			add(s, &info)
		}
	}
	for _, e := range entries {
		add(e, nil)
	}
	return out, nil
}

// Options configure Build.
type Options struct {
	Src     string // node_modules folder holding the sets (scripts/fetch-data.sh) and emojibase-data
	Out     string
	K, N    int
	Workers int // goroutines for fidelity metrics; 0 = GOMAXPROCS
	// Sets names the sources to build (see Sets); empty = every installed set that is not
	// share-alike (openmoji, CC-BY-SA, only when named).
	Sets []string
}

type result struct {
	tokens *vector.Tokens
	layers int
	unsup  []string
	rep    FileReport
}

// Build reads every drawing of the chosen sets, joins it to its emojibase entry, tokenizes it,
// measures the round trip, writes the dataset into opt.Out and returns the manifest.
func Build(opt Options) (*Manifest, error) {
	sets, missing, err := resolveSets(opt.Src, opt.Sets)
	if err != nil {
		return nil, err
	}
	meta, err := loadEmojibase(filepath.Join(opt.Src, "emojibase-data"))
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	short, err := loadShortcodes(filepath.Join(opt.Src, "emojibase-data"))
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	reports := make([]*SetReport, len(sets))
	var items []item
	for si, s := range sets {
		rep := &SetReport{Set: s, Rows: map[string]int{"train": 0, "val": 0}, Dropped: map[string]int{}, Examples: map[string][]string{}}
		reports[si] = rep
		dir := filepath.Join(opt.Src, filepath.FromSlash(s.Dir))
		if s.Name == "twemoji" {
			files, err := filepath.Glob(filepath.Join(dir, "*.svg"))
			if err != nil || len(files) == 0 {
				return nil, fmt.Errorf("dataset: no SVGs in %s (run scripts/fetch-data.sh): %v", dir, err)
			}
			sort.Strings(files)
			rep.Icons = len(files)
			for _, f := range files {
				hx := normHex(strings.TrimSuffix(filepath.Base(f), ".svg"))
				rep.Joined++ // every Twemoji file is named by its code points (composeInfo covers the rest)
				items = append(items, item{set: si, name: filepath.Base(f), hex: hx, path: f})
			}
			continue
		}
		its, err := loadIconify(dir, s, si, meta, short, rep)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		items = append(items, its...)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("dataset: no drawings in %s (run scripts/fetch-data.sh)", opt.Src)
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]result, len(items))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = processItem(items[i], opt.K, opt.N)
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()

	var notices []string
	sources := map[string]string{"emojibase": EmojibasePackage}
	for _, s := range sets {
		notices = append(notices, s.Notice+" ("+s.LicenseURL+")")
		sources[s.Name] = s.Package
	}
	notices = append(notices, "emojibase-data (c) Miles Johnson, MIT")
	m := &Manifest{
		Format: Format, K: opt.K, N: opt.N, F: vector.SlotFields(opt.N),
		Shape: "(rows, K, F)", Dtype: "float32 little-endian (.npy '<f4')",
		Fields: vector.FieldNames(opt.N),
		Layout: map[string]string{
			"slot":        "one closed subpath; slots in paint order, a layer's subpaths consecutive, largest |area| first",
			"exists":      "+1 slot used, -1 empty (all other fields 0)",
			"joins_prev":  "+1 this subpath belongs to the previous slot's layer (compound path, shares its fill and rule)",
			"evenodd":     "+1 fill-rule evenodd, -1 nonzero",
			"winding":     "+1 keep the canonical clockwise (on screen) direction, -1 reverse it when decoding (nonzero holes)",
			"rgba":        "fill color straight alpha, value = 2*c-1 for c in [0,1]",
			"points":      "3N points (x,y): P0, C1_0, C2_0, P1, C1_1, C2_1, ..., P(N-1), C1_(N-1), C2_(N-1); segment i runs P_i -> P_(i+1) with controls C1_i, C2_i; P_N = P0 (closed)",
			"coordinates": "x' = 2*(x-minx)/width - 1, y' = 2*(y-miny)/height - 1 over the drawing's own viewBox (y down; every set is mapped to [-1,1]); points outside the viewBox fall outside [-1,1]",
			"canonical":   "clockwise on screen, P0 = top-most then left-most vertex; short paths padded by halving the longest segment, long ones refit by greedy least-squares merging; with spare slots, outlines whose refit deviates > 1/720 viewBox are cut by chords into several slots of the same layer (chords cancel); with too few slots, subpaths of a layer are bridged into one slot (bridges cancel)",
		},
		ViewBox:     [4]float64{0, 0, 36, 36},
		SplitRule:   fmt.Sprintf("validation iff fnv1a64(base) %% %d == 0, base = code points upper-case dash-joined without FE0F and skin tones 1F3FB-1F3FF; the same rule for every set, so an emoji is in one split in all styles", ValBuckets),
		Sources:     sources,
		Attribution: strings.Join(notices, "; "),
		Splits:      map[string]SplitInfo{},
		MissingSets: missing,
		Licenses:    "LICENSES.md",
	}
	type split struct {
		data  []float32
		metas []Meta
		bases map[string]bool
	}
	splits := map[string]*split{"train": {bases: map[string]bool{}}, "val": {bases: map[string]bool{}}}
	var fid bytes.Buffer
	var reps []FileReport
	iouSum := make([]float64, len(sets))
	for i, r := range results {
		it := items[i]
		rep := reports[it.set]
		hexc := it.hex
		name := "train"
		if IsValidation(hexc) {
			name = "val"
		}
		r.rep.Split = name
		if r.rep.Drop == "" && r.rep.Error == "" {
			for _, u := range r.unsup {
				if lossyFeature(u) {
					r.rep.Drop = dropLossyPrefix + u
					break
				}
			}
		}
		if r.rep.Drop != "" {
			r.rep.Split = "dropped"
			rep.drop(r.rep.Drop, it.name)
			if r.rep.Drop == DropNotFitting {
				m.Skipped = append(m.Skipped, it.name)
			}
		}
		reps = append(reps, r.rep)
		line, _ := json.Marshal(r.rep)
		fid.Write(line)
		fid.WriteByte('\n')
		if r.rep.Drop != "" {
			continue
		}
		s := splits[name]
		info, ok := meta[hexc]
		if !ok {
			info = composeInfo(hexc, meta)
		}
		tags := info.Tags
		if tags == nil {
			tags = []string{}
		}
		s.metas = append(s.metas, Meta{
			Row: len(s.metas), File: it.name, Hexcode: hexc, Emoji: info.Emoji, Label: info.Label,
			Tags: tags, Group: info.Group, Subgroup: info.Subgroup, Base: BaseKey(hexc),
			Tone: info.Tone || BaseKey(hexc) != hexc, Layers: r.layers, Slots: r.tokens.Needed,
			Set: sets[it.set].Name, Style: sets[it.set].Style,
		})
		s.bases[BaseKey(hexc)] = true
		s.data = append(s.data, r.tokens.Data...)
		rep.Rows[name]++
		iouSum[it.set] += r.rep.LayerIoU
	}
	for si, rep := range reports {
		if n := rep.Rows["train"] + rep.Rows["val"]; n > 0 {
			rep.MeanIoU = iouSum[si] / float64(n)
		}
		m.Sets = append(m.Sets, *rep)
	}
	for _, name := range []string{"train", "val"} {
		s := splits[name]
		var npy, jl bytes.Buffer
		if err := WriteNPY(&npy, []int{len(s.metas), opt.K, vector.SlotFields(opt.N)}, s.data); err != nil {
			return nil, err
		}
		for _, mt := range s.metas {
			line, _ := json.Marshal(mt)
			jl.Write(line)
			jl.WriteByte('\n')
		}
		info := SplitInfo{Rows: len(s.metas), Bases: len(s.bases), Tokens: name + ".npy", Metadata: name + ".jsonl"}
		var err error
		if info.TokensSHA, err = writeFile(opt.Out, info.Tokens, npy.Bytes()); err != nil {
			return nil, err
		}
		if info.MetadataSHA, err = writeFile(opt.Out, info.Metadata, jl.Bytes()); err != nil {
			return nil, err
		}
		m.Splits[name] = info
	}
	m.FidelityLog = "fidelity.jsonl"
	if m.FidelitySHA, err = writeFile(opt.Out, m.FidelityLog, fid.Bytes()); err != nil {
		return nil, err
	}
	if _, err := writeFile(opt.Out, m.Licenses, []byte(LicenseNotes(sets))); err != nil {
		return nil, err
	}
	m.Fidelity = summarize(reps)
	mj, _ := json.MarshalIndent(m, "", "  ")
	if _, err := writeFile(opt.Out, "manifest.json", append(mj, '\n')); err != nil {
		return nil, err
	}
	return m, nil
}

// LicenseNotes is LICENSES.md of a dataset built from sets: every source's license and
// attribution, which anything trained on the data (the model card) must carry on.
func LicenseNotes(sets []Set) string {
	var b strings.Builder
	b.WriteString("# Licenses of the drawings in this dataset\n\n")
	b.WriteString("Each row's `set` field in train.jsonl / val.jsonl names its source. Attribute every source\n")
	b.WriteString("whose drawings you use, or that a model trained on this data was trained on.\n\n")
	b.WriteString("| set | package | license | notice |\n|---|---|---|---|\n")
	for _, s := range sets {
		fmt.Fprintf(&b, "| %s | %s | [%s](%s) | %s |\n", s.Name, s.Package, s.License, s.LicenseURL, s.Notice)
	}
	b.WriteString("| (labels) | " + EmojibasePackage + " | MIT | emojibase-data (c) Miles Johnson |\n")
	for _, s := range sets {
		if s.ShareAlike {
			fmt.Fprintf(&b, "\n%s is share-alike: weights trained on it must be released under %s too.\n", s.Name, s.License)
		}
	}
	return b.String()
}

func writeFile(dir, name string, b []byte) (string, error) {
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func processItem(it item, k, n int) result {
	var r result
	r.rep.File, r.rep.Set = it.name, it.set
	raw := it.svg
	if raw == nil {
		var err error
		if raw, err = os.ReadFile(it.path); err != nil {
			r.rep.Error, r.rep.Drop = err.Error(), DropParse
			return r
		}
	}
	doc, err := vector.ParseSVG(raw)
	if err != nil {
		r.rep.Error, r.rep.Drop = err.Error(), DropParse
		return r
	}
	r.layers = len(doc.Layers)
	r.unsup = doc.Unsupported
	// A drawing with more layers than slots keeps its look by merging its least visible
	// layers (vector.FitLayers) rather than losing the last-painted ones; the fidelity below
	// is still measured against the original.
	fitted, merged := vector.FitLayers(doc, k)
	r.rep.LayersMerged = merged
	r.tokens = vector.Tokenize(fitted, k, n)
	r.rep.Fits, r.rep.Slots, r.rep.Unsupported = r.tokens.Fits, r.tokens.Needed, doc.Unsupported
	back, err := vector.Detokenize(r.tokens)
	if err != nil {
		r.rep.Error, r.rep.Drop = err.Error(), DropDetokenize
		return r
	}
	r.rep.Fidelity = vector.Compare(doc, back, vector.MetricSize)
	switch {
	case len(doc.Layers) == 0:
		r.rep.Drop = DropEmpty
	case !r.tokens.Fits:
		r.rep.Drop = DropNotFitting
	}
	return r
}

func summarize(reps []FileReport) Summary {
	s := Summary{Files: len(reps), MetricSize: vector.MetricSize, MinIoU: 1}
	var ious []float64
	var sumFit float64
	for _, r := range reps {
		if r.Error != "" {
			s.ParseErrors++
			continue
		}
		ious = append(ious, r.LayerIoU)
		s.MeanIoU += r.LayerIoU
		s.MeanSilIoU += r.SilhouetteIoU
		s.MeanRGBAError += r.RGBAError
		s.MaxRGBAError = math.Max(s.MaxRGBAError, r.RGBAError)
		s.MinIoU = math.Min(s.MinIoU, r.LayerIoU)
		if r.Fits {
			s.FitsInK++
			sumFit += r.LayerIoU
		}
		if r.RTLayers < r.Layers {
			s.LostLayers++
		}
	}
	if n := float64(len(ious)); n > 0 {
		s.MeanIoU /= n
		s.MeanSilIoU /= n
		s.MeanRGBAError /= n
		sort.Float64s(ious)
		s.P5IoU = ious[int(0.05*(n-1))]
	}
	if s.FitsInK > 0 {
		s.MeanIoUFit = sumFit / float64(s.FitsInK)
	}
	s.FitsShare = float64(s.FitsInK) / float64(len(reps))
	sorted := append([]FileReport(nil), reps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].LayerIoU < sorted[j].LayerIoU })
	for _, r := range sorted {
		if len(s.Worst) == 10 {
			break
		}
		s.Worst = append(s.Worst, r)
	}
	return s
}
