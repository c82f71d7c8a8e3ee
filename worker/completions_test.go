package worker

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDefaultLengthFitsTheContext: a request that leaves max_tokens to the
// model's default (here the built-in 32) gets what fits the 64-position
// context after its 60-token prompt, not a 422; one that asks for 32 is
// still refused.
func TestDefaultLengthFitsTheContext(t *testing.T) {
	h := fakeHandler(&scriptLM{script: []int32{1, 2, 3, 4, 5, 1, 2, 3}}, pieceTokenizer{})
	prompt := "[" + strings.TrimSuffix(strings.Repeat("1,", 60), ",") + "]"
	rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":`+prompt+`,"temperature":0}`)
	var resp completionResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if resp.Usage.CompletionTokens != 4 || *resp.Choices[0].FinishReason != "length" {
		t.Errorf("%d tokens, finish %q; want 4, length", resp.Usage.CompletionTokens, *resp.Choices[0].FinishReason)
	}
	rec = post(t, h, "/v1/completions", `{"model":"fake","prompt":`+prompt+`,"max_tokens":32}`)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "context_length_exceeded") {
		t.Errorf("max_tokens 32 after 60 prompt tokens: %d %s", rec.Code, rec.Body)
	}
}
