package gguf

import (
	"fmt"
	"math"
)

// Uint returns an integer value of any width as uint64; false for other
// types and negative values.
func (v Value) Uint() (uint64, bool) {
	switch x := v.V.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8, int16, int32, int64:
		i, _ := v.Int()
		if i < 0 {
			return 0, false
		}
		return uint64(i), true
	}
	return 0, false
}

// Int returns an integer value of any width as int64; false for other
// types and uint64 values above MaxInt64.
func (v Value) Int() (int64, bool) {
	switch x := v.V.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8, uint16, uint32:
		u, _ := v.Uint()
		return int64(u), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}

// Float returns a float or integer value as float64.
func (v Value) Float() (float64, bool) {
	switch x := v.V.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	if i, ok := v.Int(); ok {
		return float64(i), true
	}
	return 0, false
}

// Str returns a string value.
func (v Value) Str() (string, bool) { s, ok := v.V.(string); return s, ok }

// Strings returns an array of strings.
func (v Value) Strings() ([]string, bool) { s, ok := v.V.([]string); return s, ok }

// Float32s returns an array of float32 (float64 arrays are narrowed).
func (v Value) Float32s() ([]float32, bool) {
	switch x := v.V.(type) {
	case []float32:
		return x, true
	case []float64:
		out := make([]float32, len(x))
		for i, f := range x {
			out[i] = float32(f)
		}
		return out, true
	}
	return nil, false
}

// Int32s returns an integer array of any width as []int32; false when an
// element does not fit.
func (v Value) Int32s() ([]int32, bool) {
	conv := func(n int, at func(int) int64) ([]int32, bool) {
		out := make([]int32, n)
		for i := range out {
			x := at(i)
			if x < math.MinInt32 || x > math.MaxInt32 {
				return nil, false
			}
			out[i] = int32(x)
		}
		return out, true
	}
	switch x := v.V.(type) {
	case []int32:
		return x, true
	case []uint8:
		return conv(len(x), func(i int) int64 { return int64(x[i]) })
	case []int8:
		return conv(len(x), func(i int) int64 { return int64(x[i]) })
	case []uint16:
		return conv(len(x), func(i int) int64 { return int64(x[i]) })
	case []int16:
		return conv(len(x), func(i int) int64 { return int64(x[i]) })
	case []uint32:
		return conv(len(x), func(i int) int64 { return int64(x[i]) })
	case []int64:
		return conv(len(x), func(i int) int64 { return x[i] })
	case []uint64:
		return conv(len(x), func(i int) int64 {
			if x[i] > math.MaxInt32 {
				return math.MaxInt64
			}
			return int64(x[i])
		})
	}
	return nil, false
}

// String renders a value for listings (arrays are summarised).
func (v Value) String() string {
	if v.Type == TypeArray {
		n := 0
		switch x := v.V.(type) {
		case []string:
			n = len(x)
		case []Value:
			n = len(x)
		default:
			n = lenOf(v.V)
		}
		return fmt.Sprintf("[%d × %v]", n, v.Elem)
	}
	return fmt.Sprint(v.V)
}

func lenOf(a any) int {
	switch x := a.(type) {
	case []uint8:
		return len(x)
	case []int8:
		return len(x)
	case []uint16:
		return len(x)
	case []int16:
		return len(x)
	case []uint32:
		return len(x)
	case []int32:
		return len(x)
	case []float32:
		return len(x)
	case []bool:
		return len(x)
	case []uint64:
		return len(x)
	case []int64:
		return len(x)
	case []float64:
		return len(x)
	}
	return 0
}

// metaUint reads a required non-negative integer key.
func (f *File) metaUint(key string) (uint64, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return 0, &MetadataError{Key: key, Reason: "missing"}
	}
	u, ok := v.Uint()
	if !ok {
		return 0, &MetadataError{Key: key, Reason: fmt.Sprintf("want a non-negative integer, got %v %v", v.Type, v)}
	}
	return u, nil
}

// metaInt reads a non-negative integer key that fits in an int, or def
// when absent.
func (f *File) metaIntOr(key string, def int) (int, error) {
	if _, ok := f.Lookup(key); !ok {
		return def, nil
	}
	u, err := f.metaUint(key)
	if err != nil {
		return 0, err
	}
	if u > math.MaxInt32 {
		return 0, &MetadataError{Key: key, Reason: fmt.Sprintf("%d is too large", u)}
	}
	return int(u), nil
}

func (f *File) metaInt(key string) (int, error) {
	if _, ok := f.Lookup(key); !ok {
		return 0, &MetadataError{Key: key, Reason: "missing"}
	}
	return f.metaIntOr(key, 0)
}

func (f *File) metaFloatOr(key string, def float64) (float64, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return def, nil
	}
	x, ok := v.Float()
	if !ok {
		return 0, &MetadataError{Key: key, Reason: fmt.Sprintf("want a number, got %v", v.Type)}
	}
	return x, nil
}

func (f *File) metaString(key string) (string, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return "", &MetadataError{Key: key, Reason: "missing"}
	}
	s, ok := v.Str()
	if !ok {
		return "", &MetadataError{Key: key, Reason: fmt.Sprintf("want a string, got %v", v.Type)}
	}
	return s, nil
}

// Architecture is general.architecture.
func (f *File) Architecture() (string, error) { return f.metaString("general.architecture") }
