package tokenizer_test

import (
	"fmt"
	"os"

	"github.com/lamina-ml/lamina/tokenizer"
)

// The ids follow from the merges of testdata/handmade/tokenizer.json (see
// TestHandmadeTokenizer for the derivation).
func Example() {
	data, err := os.ReadFile("testdata/handmade/tokenizer.json")
	if err != nil {
		panic(err)
	}
	tk, err := tokenizer.Load(data)
	if err != nil {
		panic(err)
	}
	ids := tk.Encode("hello world")
	fmt.Println(ids, tk.Tokens(ids))
	fmt.Println(tk.EncodeWithSpecial("hello world"))
	fmt.Printf("%q\n", tk.Decode(ids))
	// Output:
	// [268 278] [▁hello ▁world]
	// [1 268 278]
	// "hello world"
}
