package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"unicode/utf8"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

func init() {
	register("generate", "generate text: --model DIR (--prompt TEXT | --ids 1,2,3) --max-new-tokens N [--temperature T --top-k K --top-p P --seed S --repetition-penalty R] [--json]", runGenerate)
}

// runGenerate streams generated text to stdout (or, without a
// tokenizer.json, the generated ids separated by spaces). With --json it
// prints one object {"ids": [generated ids], "text": "decoded ids"} at the
// end instead. A final EOS token is kept in "ids" but not decoded into the
// text.
func runGenerate(args []string) error {
	fs := newFlagSet("generate")
	dir := fs.String("model", "", "model folder (config.json + safetensors [+ tokenizer.json])")
	prompt := fs.String("prompt", "", "prompt text (needs tokenizer.json in the model folder)")
	idsFlag := fs.String("ids", "", "prompt as comma-separated token ids")
	maxNew := fs.Int("max-new-tokens", 32, "number of tokens to generate at most")
	temp := fs.Float64("temperature", 0, "sampling temperature; 0 is greedy decoding")
	topK := fs.Int("top-k", 0, "keep the K most likely tokens (0: off)")
	topP := fs.Float64("top-p", 0, "nucleus sampling threshold (0 or 1: off)")
	seed := fs.Uint64("seed", 0, "sampling seed")
	rep := fs.Float64("repetition-penalty", 1, "repetition penalty (1: off)")
	ignoreEOS := fs.Bool("ignore-eos", false, "keep generating past end-of-sequence tokens")
	var stops stringList
	fs.Var(&stops, "stop", "stop once the generated text contains this string (repeatable)")
	asJSON := fs.Bool("json", false, `print {"ids": [...], "text": "..."} instead of streaming`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--model is required")
	}
	if (*prompt == "") == (*idsFlag == "") {
		return errors.New("give exactly one of --prompt and --ids")
	}
	tok, err := loadTokenizer(*dir)
	if err != nil {
		return err
	}
	var ids []int32
	if *prompt != "" {
		if tok == nil {
			return fmt.Errorf("--prompt needs %s/tokenizer.json; use --ids", *dir)
		}
		// Like transformers' tokenizer(text): special tokens from the
		// post-processor (e.g. Llama's BOS) are added.
		if ids = tok.EncodeWithSpecial(*prompt); len(ids) == 0 {
			return errors.New("the prompt encodes to no tokens")
		}
	} else if ids, err = parseIDs(*idsFlag); err != nil {
		return err
	}
	if len(stops) > 0 && tok == nil {
		return errors.New("--stop needs a tokenizer.json in the model folder")
	}
	m, err := model.LoadDir(*dir, tensor.NewCPU())
	if err != nil {
		return err
	}
	defer m.Close()

	opts := model.GenerateOptions{
		MaxNewTokens: *maxNew, Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP),
		RepetitionPenalty: float32(*rep), Seed: *seed, IgnoreEOS: *ignoreEOS, StopStrings: stops,
	}
	if tok != nil {
		opts.Decode = tok.Decode
	}
	isEOS := func(id int32) bool {
		for _, e := range m.EOS {
			if e == id && !*ignoreEOS {
				return true
			}
		}
		return false
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var onToken func(int32) bool
	if !*asJSON {
		s := &textStream{decode: opts.Decode}
		onToken = func(id int32) bool {
			if !isEOS(id) {
				s.push(id)
			}
			return true
		}
		defer s.finish()
	}
	out, err := m.Generate(ctx, ids, opts, onToken)
	if err != nil {
		return err
	}
	if !*asJSON {
		return nil
	}
	text := ""
	if tok != nil {
		body := out
		if n := len(body); n > 0 && isEOS(body[n-1]) {
			body = body[:n-1]
		}
		text = tok.Decode(body)
	}
	if out == nil {
		out = []int32{}
	}
	return json.NewEncoder(stdout).Encode(struct {
		IDs  []int32 `json:"ids"`
		Text string  `json:"text"`
	}{out, text})
}

// textStream prints generated text as it grows. Byte-level and
// byte-fallback tokenizers can split a character across tokens, so text
// ending in an incomplete character (decoded as U+FFFD) is held back until
// a later token completes it.
type textStream struct {
	decode  func([]int32) string
	ids     []int32
	printed string
}

func (s *textStream) push(id int32) {
	if s.decode == nil {
		if len(s.ids) > 0 {
			fmt.Fprint(stdout, " ")
		}
		s.ids = append(s.ids, id)
		fmt.Fprint(stdout, id)
		return
	}
	s.ids = append(s.ids, id)
	text := s.decode(s.ids)
	if strings.HasSuffix(text, string(utf8.RuneError)) {
		return
	}
	s.emit(text)
}

func (s *textStream) emit(text string) {
	if strings.HasPrefix(text, s.printed) {
		fmt.Fprint(stdout, text[len(s.printed):])
	} else {
		// Decoding is not always prefix-stable (e.g. a decoder that strips
		// a leading space); print the new tail from the common prefix on.
		i := 0
		for i < len(text) && i < len(s.printed) && text[i] == s.printed[i] {
			i++
		}
		fmt.Fprint(stdout, text[i:])
	}
	s.printed = text
}

func (s *textStream) finish() {
	if s.decode != nil && len(s.ids) > 0 {
		if text := s.decode(s.ids); text != s.printed {
			s.emit(text)
		}
	}
	fmt.Fprintln(stdout)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
