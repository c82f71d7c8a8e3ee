package model_test

import (
	"context"
	"fmt"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// Greedy generation on the llama-tiny fixture. The printed ids are the ones
// transformers produced for this prompt (reference.json greedy_ids); the
// model emits its EOS id 2 as the second token, so generation stops there
// unless IgnoreEOS is set.
func ExampleModel_Generate() {
	m, err := model.LoadDir("testdata/llama-tiny", tensor.NewCPU())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	prompt := []int32{256, 243, 78, 242, 114}
	ids, err := m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: 8}, nil)
	fmt.Println(ids, err)
	ids, err = m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: 8, IgnoreEOS: true}, nil)
	fmt.Println(ids, err)
	// Output:
	// [439 2] <nil>
	// [439 2 161 437 157 302 439 298] <nil>
}

// Decoding with a session: prefill the prompt once, then one token per step
// from the KV cache.
func ExampleSession() {
	m, err := model.LoadDir("testdata/qwen2-tiny", tensor.NewCPU())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	s, err := m.NewSession(16)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	next, _ := s.PrefillArgmax([]int32{263, 73, 275, 347, 313})
	out := []int32{next}
	for len(out) < 4 {
		next, _ = s.StepArgmax(next)
		out = append(out, next)
	}
	fmt.Println(out, s.Pos())
	// Output:
	// [90 90 90 247] 8
}
