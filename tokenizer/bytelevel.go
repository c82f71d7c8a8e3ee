package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the
// other 68 bytes to U+0100.. in byte order, so every byte is a visible rune.
var (
	byteToRune [256]rune
	byteToUTF8 [256]string // UTF-8 of byteToRune, to append without encoding
	runeToByte = map[rune]byte{}
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
		byteToUTF8[b] = string(byteToRune[b])
	}
}

func byteLevelEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		n += len(byteToUTF8[s[i]])
	}
	var b strings.Builder // one allocation: Grow, then String without copying
	b.Grow(n)
	for i := 0; i < len(s); i++ {
		b.WriteString(byteToUTF8[s[i]])
	}
	return b.String()
}

// lossyUTF8 is Rust's String::from_utf8_lossy: each maximal invalid
// subsequence (Unicode "substitution of maximal subparts") becomes one U+FFFD.
// Go's strings.ToValidUTF8 instead collapses whole runs, so it differs.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	out.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			out.Write(b[i : i+n])
			i += n
			continue
		}
		out.WriteRune(utf8.RuneError)
		i += maximalSubpart(b[i:])
	}
	return out.String()
}

// maximalSubpart is the length of the invalid prefix of b to replace by one
// U+FFFD: a lead byte plus the continuation bytes that could still have
// completed a valid sequence (Unicode Table 3-7 ranges).
func maximalSubpart(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead >= 0xE1 && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		need = 2
	case lead == 0xED:
		need, hi = 2, 0x9F
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead >= 0xF1 && lead <= 0xF3:
		need = 3
	case lead == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		c := b[n]
		if k == 0 {
			if c < lo || c > hi {
				break
			}
		} else if c < 0x80 || c > 0xBF {
			break
		}
		n++
	}
	return n
}

// byteLevelDecode is the ByteLevel decoder (pre_tokenizers/byte_level.rs):
// a token made only of byte-level runes becomes those bytes, any other token
// (e.g. an added token) contributes its UTF-8 as is.
func byteLevelDecode(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		start := len(buf)
		ok := true
		for _, r := range t {
			b, found := runeToByte[r]
			if !found {
				ok = false
				break
			}
			buf = append(buf, b)
		}
		if !ok {
			buf = append(buf[:start], t...)
		}
	}
	return []string{lossyUTF8(buf)}
}
