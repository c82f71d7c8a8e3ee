package tokenizer

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentEncode: a Tokenizer is shared by goroutines (the BPE cache
// and scratch pool are the shared state); results must match a serial run.
func TestConcurrentEncode(t *testing.T) {
	tk := loadTestTokenizer(t, filepath.Join("testdata", "bytelevel-llama3", "tokenizer.json"))
	texts := []string{"Hello world", "the then there", "123456 7890", "It's a test!\n\n ok", "héllo wörld"}
	want := make([][]int32, len(texts))
	for i, s := range texts {
		want[i] = tk.Encode(s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				i := (g + n) % len(texts)
				if got := tk.Encode(texts[i]); !slices.Equal(got, want[i]) {
					errs <- texts[i]
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent Encode(%q) differs from serial", s)
	}
}
