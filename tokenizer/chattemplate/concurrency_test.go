package chattemplate

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// One parsed Template rendered from many goroutines gives the same result
// as a single render (run with -race to check for shared state).
func TestConcurrentRender(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "templates", "Qwen--Qwen3-0.6B.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Messages:            []byte(`[{"role":"system","content":"Straße"},{"role":"user","content":"hi"},{"role":"assistant","content":"<think>x</think>yo"},{"role":"user","content":"again"}]`),
		AddGenerationPrompt: true,
	}
	want, err := tmpl.Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, err := tmpl.Render(opts)
				if err != nil || got != want {
					errs <- got
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent render gave %q, want %q", got, want)
	}
}
