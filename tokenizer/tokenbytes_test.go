package tokenizer

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTokenBytesConcatIsDecode: for random runs of ordinary tokens whose
// decoded text is valid UTF-8, the TokenBytes of the ids concatenated equal
// Decode (the reference), apart from the one leading space a Strip
// decoder or Metaspace removes from the start of the text.
func TestTokenBytesConcatIsDecode(t *testing.T) {
	for _, name := range []string{"llama-sp-bpe-bytefallback", "bytelevel-llama3", "bytelevel-small"} {
		t.Run(name, func(t *testing.T) {
			tok := loadTestTokenizer(t, filepath.Join("testdata", name, "tokenizer.json"))
			special := map[int32]bool{}
			for _, a := range tok.SpecialTokens() {
				if !tok.IsByteToken(a.ID) {
					special[a.ID] = true
				}
			}
			n := int(tok.MaxID()) + 1
			state := uint64(7)
			rnd := func() int {
				state = state*6364136223846793005 + 1442695040888963407
				return int(state >> 33)
			}
			checked := 0
			for trial := 0; trial < 2000; trial++ {
				var ids []int32
				for try := 0; len(ids) < 1+trial%6 && try < 1000; try++ {
					id := int32(rnd() % n)
					if _, ok := tok.IDToToken(id); ok && !special[id] {
						ids = append(ids, id)
					}
				}
				if len(ids) == 0 {
					continue
				}
				want := tok.Decode(ids)
				var got []byte
				for _, id := range ids {
					b, ok := tok.TokenBytes(id)
					if !ok {
						t.Fatalf("TokenBytes(%d) not ok", id)
					}
					got = append(got, b...)
				}
				if !utf8.Valid(got) || strings.ContainsRune(want, utf8.RuneError) {
					continue
				}
				if string(got) != want && strings.TrimPrefix(string(got), " ") != want {
					t.Fatalf("ids %v: TokenBytes concatenated %q, Decode %q", ids, got, want)
				}
				checked++
			}
			if checked < 300 && n > 100 {
				t.Fatalf("only %d runs checked", checked)
			}
		})
	}
}
