package dataset

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ErrNPY is wrapped by every error ReadNPY returns for a malformed file.
var ErrNPY = errors.New("dataset: malformed .npy")

// WriteNPY writes a little-endian float32 array of the given shape in NumPy's .npy format
// version 1.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// magic, header length, a Python-dict header padded so the data starts 64-byte aligned.
func WriteNPY(w io.Writer, shape []int, data []float32) error {
	n := 1
	dims := make([]string, len(shape))
	for i, s := range shape {
		n *= s
		dims[i] = strconv.Itoa(s)
	}
	if n != len(data) {
		return fmt.Errorf("dataset: shape %v holds %d values, got %d", shape, n, len(data))
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	h := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + tuple + "), }"
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	bw := bufio.NewWriter(w)
	bw.WriteString("\x93NUMPY\x01\x00")
	binary.Write(bw, binary.LittleEndian, uint16(len(h)))
	bw.WriteString(h)
	var buf [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
		bw.Write(buf[:])
	}
	return bw.Flush()
}

// maxNPYValues caps what ReadNPY allocates (1 Gi float32 = 4 GiB is far above any split).
const maxNPYValues = 1 << 28

// ReadNPY reads a little-endian float32 C-order .npy file written by WriteNPY or numpy.save.
func ReadNPY(r io.Reader) (shape []int, data []float32, err error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNPY, err)
	}
	if string(pre[:6]) != "\x93NUMPY" || pre[6] != 1 {
		return nil, nil, fmt.Errorf("%w: not a version-1 .npy", ErrNPY)
	}
	h := make([]byte, binary.LittleEndian.Uint16(pre[8:]))
	if _, err := io.ReadFull(r, h); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrNPY, err)
	}
	hs := string(h)
	if !strings.Contains(hs, "'descr': '<f4'") || !strings.Contains(hs, "'fortran_order': False") {
		return nil, nil, fmt.Errorf("%w: want <f4 C order, header %q", ErrNPY, hs)
	}
	i := strings.Index(hs, "'shape': (")
	j := strings.Index(hs[i+1:], ")")
	if i < 0 || j < 0 {
		return nil, nil, fmt.Errorf("%w: no shape in %q", ErrNPY, hs)
	}
	n := 1
	for _, f := range strings.Split(hs[i+10:i+1+j], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 || (d > 0 && n > maxNPYValues/d) {
			return nil, nil, fmt.Errorf("%w: bad shape in %q", ErrNPY, hs)
		}
		shape = append(shape, d)
		n *= d
	}
	raw := make([]byte, 4*n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, nil, fmt.Errorf("%w: data: %v", ErrNPY, err)
	}
	data = make([]float32, n)
	for k := range data {
		data[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
	}
	return shape, data, nil
}
