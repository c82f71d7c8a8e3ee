package quant

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// Options say how QuantizeFolder quantizes a model.
type Options struct {
	Spec Spec // the width of every decoder linear (the high width with mixed bits)
	// Low, when Bits > 0, is the width of the layers LowBitLayers picks for
	// AvgBits by Score.
	Low     Spec
	AvgBits float64
	// Score ranks layers for mixed bits: "bi" (block influence, higher is
	// more important), "zd" (z-score distribution, smaller is more
	// important, the paper's reading) or "zd-rev" (ZD, larger more
	// important).
	Score string
	// Head is the width of lm_head (the embedding table when tied);
	// Bits 0 keeps it float.
	Head   Spec
	Method string // "rtn", "gptq" or "qep" (QEP's correction, then GPTQ)
	Damp   float64
	// ActOrder is GPTQ's act-order (also QEP's GPTQ), GPTQOptions.ActOrder.
	ActOrder bool
	// QEP's options when Method is "qep" (its GPTQ damping and act-order
	// are Damp and ActOrder).
	QEP QEPOptions
	// CalibCache, when set, is a SaveCalibration file: read instead of
	// calibrating when it exists, written after calibrating when not.
	CalibCache string
}

// Report is what QuantizeFolder did, for printing and for
// quantization_report.json.
type Report struct {
	Method    string             `json:"method"`
	ActOrder  bool               `json:"act_order,omitempty"`
	Bits      int                `json:"bits"`
	Group     int                `json:"group_size"`
	LowBits   int                `json:"low_bits,omitempty"`
	Score     string             `json:"score,omitempty"`
	BI        []float64          `json:"block_influence,omitempty"`
	ZD        []float64          `json:"zd"`
	LowLayers []int              `json:"low_layers"`
	AvgBits   float64            `json:"avg_layer_bits"`
	CalibTok  int                `json:"calibration_tokens"`
	Tensors   []TensorReport     `json:"tensors"`
	BytesIn   int64              `json:"weight_bytes_in"`
	BytesOut  int64              `json:"weight_bytes_out"`
	Seconds   float64            `json:"seconds"`
	Config    *model.QuantConfig `json:"-"`
}

// TensorReport is one matrix's width.
type TensorReport struct {
	Name  string `json:"name"`
	Bits  int    `json:"bits"`
	Group int    `json:"group_size"`
}

// copiedFiles are the files of a model folder copied unchanged.
var copiedFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt"}

// QuantizeFolder reads the float llama/qwen2 model folder in, quantizes its
// linears (and lm_head) as opt says — with GPTQ or for block influence,
// Hessians and scores from the calibration windows of token ids — and
// writes a folder model.Load reads to out.
func QuantizeFolder(in, out string, windows [][]int32, opt Options, log io.Writer) (*Report, error) {
	start := time.Now()
	if err := opt.Spec.check(); err != nil {
		return nil, err
	}
	if opt.Low.Bits > 0 {
		if err := opt.Low.check(); err != nil {
			return nil, err
		}
	}
	if opt.Head.Bits > 0 {
		if err := opt.Head.check(); err != nil {
			return nil, err
		}
	}
	if opt.Method != "rtn" && opt.Method != "gptq" && opt.Method != "qep" {
		return nil, fmt.Errorf("quant: method %q (want rtn, gptq or qep)", opt.Method)
	}
	needCalib := opt.Method == "gptq" || (opt.Low.Bits > 0 && opt.Score == "bi")
	if needCalib && len(windows) == 0 && !fileExists(opt.CalibCache) {
		return nil, errors.New("quant: GPTQ and block influence need calibration text")
	}
	if opt.Method == "qep" && len(windows) == 0 {
		return nil, errors.New("quant: QEP needs calibration text (a calibration cache holds only Hessians)")
	}
	m, err := model.LoadDir(in, NewCalibrationBackend())
	if err != nil {
		return nil, err
	}
	defer m.Close()
	if m.Config.Quant != nil {
		return nil, errors.New("quant: the model is already quantized")
	}
	lin := m.Linears()
	if len(lin) == 0 {
		return nil, fmt.Errorf("quant: %s models are not supported (llama and qwen2 are)", m.Config.Arch)
	}
	rep := &Report{Method: opt.Method, ActOrder: opt.ActOrder && opt.Method != "rtn", Bits: opt.Spec.Bits, Group: opt.Spec.group(), LowBits: opt.Low.Bits}
	var cal *Calibration
	if opt.CalibCache != "" {
		if _, err := os.Stat(opt.CalibCache); err == nil {
			if cal, err = LoadCalibration(opt.CalibCache); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "calibration read from %s (%d tokens)\n", opt.CalibCache, cal.Tokens)
		}
	}
	if cal == nil && len(windows) > 0 && (needCalib || opt.Method != "qep") {
		fmt.Fprintf(log, "calibrating on %d windows...\n", len(windows))
		if cal, err = Calibrate(m, windows); err != nil {
			return nil, err
		}
		if opt.CalibCache != "" {
			if err := SaveCalibration(opt.CalibCache, cal); err != nil {
				return nil, err
			}
		}
	}
	if cal != nil {
		rep.BI = cal.BI
		rep.CalibTok = cal.Tokens
	}
	src, err := model.OpenWeights(os.DirFS(in))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	byName := map[string]model.Linear{}
	for _, l := range lin {
		byName[l.Name] = l
	}
	// ZD per decoder layer over all its linears.
	L := m.Config.Layers
	perLayer := make([][][]float32, L)
	floatW := func(l model.Linear) ([]float32, error) {
		dt, b, err := src.Float(l.Name, l.N, l.K)
		if err != nil {
			return nil, err
		}
		return model.DecodeF32(dt, b), nil
	}
	for _, l := range lin {
		if l.Layer < 0 {
			continue
		}
		w, err := floatW(l)
		if err != nil {
			return nil, err
		}
		perLayer[l.Layer] = append(perLayer[l.Layer], w)
	}
	rep.ZD = make([]float64, L)
	for i := range perLayer {
		rep.ZD[i] = ZD(perLayer[i]...)
	}
	perLayer = nil
	low := map[int]bool{}
	rep.AvgBits = float64(opt.Spec.Bits)
	if opt.Low.Bits > 0 {
		var score []float64
		var higher bool
		switch opt.Score {
		case "bi":
			score, higher = rep.BI, true
		case "zd":
			score, higher = rep.ZD, false
		case "zd-rev":
			score, higher = rep.ZD, true
		default:
			return nil, fmt.Errorf("quant: score %q (want bi, zd or zd-rev)", opt.Score)
		}
		rep.Score = opt.Score
		var chosen []int
		chosen, rep.AvgBits = LowBitLayers(score, higher, opt.Spec.Bits, opt.Low.Bits, opt.AvgBits)
		rep.LowLayers = chosen
		for _, i := range chosen {
			low[i] = true
		}
	}
	specFor := func(l model.Linear) Spec {
		switch {
		case l.Layer < 0:
			return opt.Head
		case low[l.Layer]:
			return opt.Low
		}
		return opt.Spec
	}
	var qepOut map[string]*kernels.QMatrix
	if opt.Method == "qep" {
		fmt.Fprintf(log, "QEP over %d windows...\n", len(windows))
		qo := opt.QEP
		qo.GPTQ = GPTQOptions{Damp: opt.Damp, ActOrder: opt.ActOrder}
		if qepOut, err = QEP(m, windows, specFor, qo, log); err != nil {
			return nil, err
		}
		if rep.CalibTok == 0 {
			for _, w := range windows {
				rep.CalibTok += len(w)
			}
		}
	}
	qc := &model.QuantConfig{Method: opt.Method, Bits: opt.Spec.Bits, GroupSize: opt.Spec.group(), Modules: map[string]model.QuantModule{}}
	var tensors []model.SafetensorsTensor
	for _, name := range src.Names() {
		info, raw, err := src.Tensor(name)
		if err != nil {
			return nil, err
		}
		rep.BytesIn += int64(len(raw))
		l, isLin := byName[name]
		var spec Spec
		if isLin {
			spec = specFor(l)
		}
		if !isLin || spec.Bits == 0 {
			tensors = append(tensors, model.SafetensorsTensor{Name: name, DType: info.DTypeName, Shape: info.Shape, Data: raw})
			rep.BytesOut += int64(len(raw))
			continue
		}
		w := model.DecodeF32(mustFloatDType(info), raw)
		var q *kernels.QMatrix
		t0 := time.Now()
		switch opt.Method {
		case "qep":
			if q = qepOut[name]; q == nil {
				return nil, fmt.Errorf("quant: QEP did not quantize %s", name)
			}
		case "gptq":
			H, ok := cal.Hessians[name]
			if !ok {
				return nil, fmt.Errorf("quant: no calibration inputs reached %s", name)
			}
			q, err = GPTQ(w, l.N, l.K, H, spec, GPTQOptions{Damp: opt.Damp, ActOrder: opt.ActOrder})
		default:
			q, err = RTN(w, l.N, l.K, spec)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if opt.Method != "qep" {
			fmt.Fprintf(log, "  %-40s (%d,%d) %d-bit g%d  %.2fs\n", name, l.N, l.K, spec.Bits, spec.group(), time.Since(t0).Seconds())
		}
		mod := strings.TrimSuffix(name, ".weight")
		if spec.Bits != qc.Bits || spec.group() != qc.GroupSize {
			qc.Modules[mod] = model.QuantModule{Bits: spec.Bits, GroupSize: spec.group()}
		}
		rep.Tensors = append(rep.Tensors, TensorReport{Name: name, Bits: spec.Bits, Group: spec.group()})
		for _, t := range model.EncodeQuantized(name, q) {
			tensors = append(tensors, t)
			rep.BytesOut += int64(len(t.Data))
		}
	}
	rep.Config = qc
	if err := writeFolder(in, out, qc, tensors, rep); err != nil {
		return nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

func mustFloatDType(info model.TensorInfo) tensor.DType {
	dt, err := info.DType()
	if err != nil {
		panic(err) // Linears were loaded as floats already
	}
	return dt
}

func writeFolder(in, out string, qc *model.QuantConfig, tensors []model.SafetensorsTensor, rep *Report) error {
	cfgData, err := os.ReadFile(filepath.Join(in, "config.json"))
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return err
	}
	cfg["quantization_config"] = qc
	cfgOut, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	st, err := model.WriteSafetensors(tensors)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	repOut, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{"config.json": append(cfgOut, '\n'), "model.safetensors": st, "quantization_report.json": append(repOut, '\n')}
	for _, name := range copiedFiles {
		b, err := os.ReadFile(filepath.Join(in, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		files[name] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
}
