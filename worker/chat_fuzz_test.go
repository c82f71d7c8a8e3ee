package worker

import (
	"encoding/json"
	"testing"
)

// FuzzParseChat: an accepted chat body has a non-empty messages array of
// known roles with string content, and sampling inside the contract.
func FuzzParseChat(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":4,"stop":["a"]}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object","properties":{"a":{"enum":[1,"x"]}},"required":["a"]}}}}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"assistant","content":null},{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true},"response_format":{"type":"json_object"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseChat(body)
		if err != nil {
			return
		}
		if c.opts.MaxTokens < 1 || c.opts.MaxTokens > MaxNewTokens || c.opts.Temperature < 0 ||
			c.opts.TopP <= 0 || c.opts.TopP > 1 || len(c.stops) > maxStopStrings || (c.format != nil && len(c.stops) > 0) {
			t.Fatalf("accepted out-of-contract request %s: %+v", body, c)
		}
		var msgs []struct {
			Role    string  `json:"role"`
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(c.messages, &msgs); err != nil || len(msgs) == 0 {
			t.Fatalf("messages %s from %s: %v", c.messages, body, err)
		}
		for _, m := range msgs {
			if !chatRoles[m.Role] || m.Content == nil {
				t.Fatalf("message %+v accepted from %s", m, body)
			}
		}
	})
}
