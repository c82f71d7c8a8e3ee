package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
)

func init() {
	register("perplexity", "perplexity of a text for every early-exit layer and the full model: --model DIR|FILE.gguf|URL --text-file F [--window W --stride S --max-tokens N]", runPerplexity)
}

// perplexityConvention is printed by -h and stored in the output: how the
// text is cut into windows. It is train/lm/eval.py's convention, so with
// the same token stream and window the numbers are the same.
const perplexityConvention = `The text is tokenized with the model's tokenizer.json with special tokens
(the BOS the post-processor prepends, as in training), cut to --max-tokens,
and scored in windows of --window tokens, the convention of train/lm/eval.py:
window k takes tokens [kW, kW+W) as input, each window starting without
earlier context, and predicts tokens kW+1 .. kW+W, so every token after the
first is predicted exactly once and a window's first token is only an input.
Tokens after the last whole window are not scored (eval.py drops them too); a
text shorter than one window is scored as a single window of all its tokens.
--stride S < W instead slides windows of W tokens by S (Hugging Face's
strided perplexity): after the first window only each window's last S
targets are scored, with the W-S tokens before them as context. The default
--window is the model's context length (max_position_embeddings), as eval.py
uses. Loss is the mean cross-entropy in nats over the scored tokens, ppl =
exp(loss); layer l applies the final norm and lm_head to decoder layer l's
output (logit lens / early exit); layer L is the full model ("final").
eval.py scores val.bin, where every document is preceded by <|endoftext|>;
val.txt separates documents by blank lines instead. Joining val.txt's
documents with "<|endoftext|>" gives a text whose tokens equal val.bin's, so
the numbers are eval.py's (checked on the Brown validation split).
`

// layerLoss is one exit's mean loss over the scored tokens.
type layerLoss struct {
	Layer int     `json:"layer"`
	Loss  float64 `json:"loss"`
	PPL   float64 `json:"ppl"`
}

type perplexityJSON struct {
	Model      string      `json:"model"`
	Tokens     int         `json:"tokens"`      // scored (predicted) tokens
	TextTokens int         `json:"text_tokens"` // tokens after BOS and --max-tokens
	Window     int         `json:"window"`
	Stride     int         `json:"stride"`
	Windows    int         `json:"windows"`
	Convention string      `json:"convention"`
	Layers     []layerLoss `json:"layers"` // 1..L
	Final      layerLoss   `json:"final"`  // layer L
}

func runPerplexity(args []string) error {
	fs := newFlagSet("perplexity")
	dir := fs.String("model", "", modelFlagHelp)
	textFile := fs.String("text-file", "", "UTF-8 text to score")
	window := fs.Int("window", 0, "tokens per window (default: the model's context length, as train/lm/eval.py)")
	stride := fs.Int("stride", 0, "tokens between window starts (default: --window, non-overlapping)")
	maxTokens := fs.Int("max-tokens", 0, "score only the first N tokens of the text (0: all)")
	finalOnly := fs.Bool("final-only", false, "score only the full model, not every early exit (faster; layers lists only layer L)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: lamina perplexity --model DIR --text-file F [--window W] [--stride S] [--max-tokens N]\n\n%s\nflags:\n", perplexityConvention)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *textFile == "" {
		return errors.New("--model and --text-file are required")
	}
	if *maxTokens < 0 {
		return fmt.Errorf("--max-tokens %d must not be negative", *maxTokens)
	}
	src, err := openModelSource(context.Background(), *dir)
	if err != nil {
		return err
	}
	defer src.close()
	tok, err := src.tokenizer()
	if err != nil {
		return err
	}
	if tok == nil {
		return fmt.Errorf("%s has no tokenizer.json", *dir)
	}
	ids, err := encodeText(tok, *textFile, *maxTokens)
	if err != nil {
		return err
	}
	m, err := src.load(tensor.NewCPU())
	if err != nil {
		return err
	}
	defer m.Close()
	w, s := *window, *stride
	if w == 0 {
		w = m.Config.MaxPositions
	}
	if w < 1 || w > m.Config.MaxPositions {
		return fmt.Errorf("--window %d outside [1, %d] (the model's context)", w, m.Config.MaxPositions)
	}
	if s == 0 {
		s = w
	}
	if s < 1 || s > w {
		return fmt.Errorf("--stride %d outside [1, --window %d]", s, w)
	}
	res, err := perplexity(m, ids, w, s, *finalOnly)
	if err != nil {
		return err
	}
	res.Model = *dir
	res.Convention = perplexityConvention
	return json.NewEncoder(stdout).Encode(res)
}

// encodeTextFile reads a UTF-8 text file and tokenizes it with the model
// folder's tokenizer.json with special tokens (the BOS its post-processor
// prepends, as in training), keeping the first maxTokens ids (0: all):
// the token stream of perplexity and of quantize's calibration.
func encodeTextFile(dir, path string, maxTokens int) ([]int32, error) {
	tok, err := loadTokenizer(dir)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, fmt.Errorf("%s has no tokenizer.json", dir)
	}
	return encodeText(tok, path, maxTokens)
}

// encodeText is encodeTextFile with the tokenizer given (a GGUF file's, say).
func encodeText(tok *tokenizer.Tokenizer, path string, maxTokens int) ([]int32, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ids := tok.EncodeWithSpecial(string(text))
	if maxTokens > 0 && len(ids) > maxTokens {
		ids = ids[:maxTokens]
	}
	return ids, nil
}

// scoreWindow is one forward pass: inputs ids[start:start+n], scoring the
// targets ids[start+from+1 .. start+n] (positions from..n-1).
type scoreWindow struct{ start, n, from int }

// perplexityWindows cuts a stream of n tokens into windows of w tokens
// every s tokens (see perplexityConvention).
func perplexityWindows(n, w, s int) []scoreWindow {
	if n < 2 {
		return nil
	}
	if n-1 <= w {
		return []scoreWindow{{0, n - 1, 0}}
	}
	var out []scoreWindow
	// A window needs its w inputs and the token after them as a target:
	// start+w ≤ n-1, as eval.py's range(0, n-ctx, ctx).
	for start := 0; start+w <= n-1; start += s {
		from := 0
		if start > 0 {
			from = w - s
		}
		out = append(out, scoreWindow{start, w, from})
	}
	return out
}

// perplexity scores ids with every exit of m, or with the full model only.
func perplexity(m *model.Model, ids []int32, w, s int, finalOnly bool) (*perplexityJSON, error) {
	wins := perplexityWindows(len(ids), w, s)
	if len(wins) == 0 {
		return nil, fmt.Errorf("the text has %d tokens; perplexity needs at least 2", len(ids))
	}
	L, V := m.Config.Layers, m.Config.VocabSize
	nats := make([]float64, L+1) // by layer, 1..L
	scored := 0
	for _, win := range wins {
		in := ids[win.start : win.start+win.n]
		score := func(layer int, logits []float32) error {
			for p := win.from; p < win.n; p++ {
				target := ids[win.start+p+1]
				if int(target) >= V {
					return fmt.Errorf("token id %d outside the model's vocabulary of %d", target, V)
				}
				nats[layer] += crossEntropy(logits[p*V:(p+1)*V], target)
			}
			return nil
		}
		var err error
		if finalOnly {
			var rows [][]float32
			if rows, err = m.Logits(in); err == nil {
				err = score(L, slices.Concat(rows...))
			}
		} else {
			err = m.LensLogits(in, score)
		}
		if err != nil {
			return nil, err
		}
		scored += win.n - win.from
	}
	res := &perplexityJSON{Tokens: scored, TextTokens: len(ids), Window: w, Stride: s, Windows: len(wins)}
	for l := 1; l <= L; l++ {
		if finalOnly && l < L {
			continue
		}
		loss := nats[l] / float64(scored)
		res.Layers = append(res.Layers, layerLoss{Layer: l, Loss: loss, PPL: math.Exp(loss)})
	}
	res.Final = res.Layers[len(res.Layers)-1]
	return res, nil
}

// crossEntropy is −log softmax(row)[target] in float64: logsumexp(row) −
// row[target], with the maximum subtracted so exp cannot overflow.
func crossEntropy(row []float32, target int32) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(sum) - float64(row[target])
}
