// Command laminarun is bench/peers' lamina runner: it loads a model folder,
// prefills the prompt of prompt.json and decodes greedily, and prints one
// JSON line per round with prefill and decode tokens/s, the greedy ids (the
// prefill's argmax first) and, with -logits, the first step's logits (the
// last prompt position's, from Session.Prefill, untimed). It builds
// natively (the CPU backend with its native kernels, as `lamina bench`
// runs) and for js/wasm, where -backend picks the plain Go CPU backend or
// wasm-simd (the SIMD128 kernel module); run.sh runs it in Node.
//
//	laminarun -dir DIR -prompt prompt.json [-new-tokens 128] [-rounds 1] [-backend cpu|wasm-simd] [-logits]
//
// Like `lamina bench`, one untimed short pass comes first.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/model"
)

type result struct {
	Runtime     string  `json:"runtime"`
	PrefillTokS float64 `json:"prefill_tok_s"`
	DecodeTokS  float64 `json:"decode_tok_s"`
	// PrefillCPUS and DecodeCPUS are the process CPU seconds (all
	// threads) of the two phases; absent where there is no process clock.
	PrefillCPUS float64   `json:"prefill_cpu_s,omitempty"`
	DecodeCPUS  float64   `json:"decode_cpu_s,omitempty"`
	IDs         []int32   `json:"ids"`
	Logits0     []float32 `json:"logits0,omitempty"`
}

func main() {
	dir := flag.String("dir", "", "model folder")
	promptFile := flag.String("prompt", "", "JSON array of prompt token ids")
	newTokens := flag.Int("new-tokens", 128, "greedy tokens to decode after the prefill's")
	rounds := flag.Int("rounds", 1, "timed rounds (one JSON line each)")
	backendName := flag.String("backend", "cpu", "cpu, or wasm-simd under js/wasm")
	logits := flag.Bool("logits", false, "include the first step's logits")
	flag.Parse()
	if err := run(*dir, *promptFile, *backendName, *newTokens, *rounds, *logits); err != nil {
		fmt.Fprintln(os.Stderr, "laminarun:", err)
		os.Exit(1)
	}
}

func run(dir, promptFile, backendName string, newTokens, rounds int, withLogits bool) error {
	b, err := os.ReadFile(promptFile)
	if err != nil {
		return err
	}
	var prompt []int32
	if err := json.Unmarshal(b, &prompt); err != nil {
		return fmt.Errorf("%s: %w", promptFile, err)
	}
	be, err := backend(backendName)
	if err != nil {
		return err
	}
	m, err := model.LoadDir(dir, be)
	if err != nil {
		return err
	}
	defer m.Close()
	sess, err := m.NewSession(len(prompt) + newTokens + 1)
	if err != nil {
		return err
	}
	defer sess.Close()
	name := fmt.Sprintf("lamina %s (%s kernels, %d threads)", backendName, kernels.Name(), kernels.Workers())
	var logits0 []float32
	if withLogits {
		l, err := sess.Prefill(prompt)
		if err != nil {
			return err
		}
		logits0 = l
	}
	if _, _, _, _, err := once(sess, prompt, min(newTokens, 4)); err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for r := 0; r < rounds; r++ {
		c0 := cpuSeconds()
		pre, dec, ids, c1, err := once(sess, prompt, newTokens)
		if err != nil {
			return err
		}
		c2 := cpuSeconds()
		res := result{Runtime: name, PrefillTokS: float64(len(prompt)) / pre.Seconds(),
			DecodeTokS: float64(newTokens) / dec.Seconds(), IDs: ids}
		if c0 > 0 {
			res.PrefillCPUS, res.DecodeCPUS = c1-c0, c2-c1
		}
		if r == 0 {
			res.Logits0 = logits0
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	return nil
}

// once prefills prompt into the emptied session and decodes n tokens,
// feeding back each argmax; cpu is cpuSeconds() between the two phases.
func once(s *model.Session, prompt []int32, n int) (prefill, decode time.Duration, ids []int32, cpu float64, err error) {
	s.Reset()
	t0 := time.Now()
	next, err := s.PrefillArgmax(prompt)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	t1 := time.Now()
	cpu = cpuSeconds()
	ids = append(ids, next)
	for i := 0; i < n; i++ {
		if next, err = s.StepArgmax(next); err != nil {
			return 0, 0, nil, 0, err
		}
		ids = append(ids, next)
	}
	return t1.Sub(t0), time.Since(t1), ids, cpu, nil
}
