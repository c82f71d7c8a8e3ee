package chattemplate_test

import (
	"fmt"

	"github.com/lamina-ml/lamina/tokenizer/chattemplate"
)

// A chat endpoint reads tokenizer_config.json once and renders each
// request's messages with it. (The output below is what Python's jinja2
// renders for the same template and messages.)
func Example() {
	config := []byte(`{"eos_token": "<|im_end|>", "chat_template": "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content | trim + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"}`)
	cfg, err := chattemplate.ParseConfig(config)
	if err != nil {
		fmt.Println(err)
		return
	}
	prompt, err := cfg.Apply(chattemplate.Options{
		Messages:            []byte(`[{"role": "system", "content": "Be brief."}, {"role": "user", "content": " Hi! "}]`),
		AddGenerationPrompt: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", prompt)
	// Output: "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n"
}
