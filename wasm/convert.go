package main

import (
	"encoding/json"
	"math"
)

// jsonString marshals v for the JS side, which parses it with JSON.parse
// (cheaper than building nested JS objects value by value through
// syscall/js).
func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// float32Bytes is v as little-endian bytes, the layout of a Float32Array.
func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		u := math.Float32bits(f)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}
