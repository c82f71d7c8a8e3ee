package wasmsimd

// A minimal WebAssembly binary writer: just the sections, value types and
// instructions the kernels use. Encodings follow the WebAssembly core spec
// 2.0, §5 (binary format), and the SIMD128 opcode table (§5.4.8: every
// vector instruction is the prefix 0xFD then a LEB128 u32 opcode).

// Value types.
const (
	i32  byte = 0x7f
	v128 byte = 0x7b
)

// Plain opcodes.
const (
	opBlock    = 0x02
	opLoop     = 0x03
	opIf       = 0x04
	opElse     = 0x05
	opEnd      = 0x0b
	opBr       = 0x0c
	opBrIf     = 0x0d
	opReturn   = 0x0f
	opCall     = 0x10
	opLocalGet = 0x20
	opLocalSet = 0x21
	opLocalTee = 0x22
	opI32Const = 0x41
	opI32Eqz   = 0x45
	opI32LtS   = 0x48
	opI32LtU   = 0x49
	opI32GeS   = 0x4e
	opI32GeU   = 0x4f
	opI32Add   = 0x6a
	opI32Sub   = 0x6b
	opI32Mul   = 0x6c
	opI32Shl   = 0x74
	opI32ShrU  = 0x76
	blockVoid  = 0x40
)

// SIMD opcodes (after the 0xFD prefix).
const (
	vLoad         = 0x00
	vLoad16x4U    = 0x04
	vLoad32Splat  = 0x09
	vStore        = 0x0b
	vConst        = 0x0c
	vI32x4Splat   = 0x11
	vF32x4Extract = 0x1f
	vShuffle      = 0x0d
	vI16x8GtS     = 0x31
	vI16x8Shl     = 0x8b
	vI16x8ShrS    = 0x8c
	vI32x4GtS     = 0x3b
	vAnd          = 0x4e
	vOr           = 0x50
	vBitselect    = 0x52
	vI32x4ExtLoU  = 0xa9 // i32x4.extend_low_i16x8_u
	vI32x4ExtHiU  = 0xaa // i32x4.extend_high_i16x8_u
	vI32x4Shl     = 0xab
	vI32x4ShrU    = 0xad
	vF32x4Add     = 0xe4
	vF32x4Mul     = 0xe6
	vF32x4Splat   = 0x13
)

func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// code is one function body being written.
type code struct {
	params []byte
	locals []byte // types of the locals after the params
	b      []byte
}

// local adds a local of type t and returns its index.
func (c *code) local(t byte) uint32 {
	c.locals = append(c.locals, t)
	return uint32(len(c.params) + len(c.locals) - 1)
}

func (c *code) op(o byte)                 { c.b = append(c.b, o) }
func (c *code) get(l uint32)              { c.b = uleb(append(c.b, opLocalGet), uint64(l)) }
func (c *code) set(l uint32)              { c.b = uleb(append(c.b, opLocalSet), uint64(l)) }
func (c *code) tee(l uint32)              { c.b = uleb(append(c.b, opLocalTee), uint64(l)) }
func (c *code) i32c(v int32)              { c.b = sleb(append(c.b, opI32Const), int64(v)) }
func (c *code) call(f uint32)             { c.b = uleb(append(c.b, opCall), uint64(f)) }
func (c *code) br(depth uint32)           { c.b = uleb(append(c.b, opBr), uint64(depth)) }
func (c *code) brIf(depth uint32)         { c.b = uleb(append(c.b, opBrIf), uint64(depth)) }
func (c *code) block()                    { c.b = append(c.b, opBlock, blockVoid) }
func (c *code) loop()                     { c.b = append(c.b, opLoop, blockVoid) }
func (c *code) end()                      { c.b = append(c.b, opEnd) }
func (c *code) simd(o uint32)             { c.b = uleb(append(c.b, 0xfd), uint64(o)) }
func (c *code) mem(align, offset uint32)  { c.b = uleb(uleb(c.b, uint64(align)), uint64(offset)) }
func (c *code) vload(offset uint32)       { c.simd(vLoad); c.mem(4, offset) }
func (c *code) vstore(offset uint32)      { c.simd(vStore); c.mem(4, offset) }
func (c *code) load16x4u(offset uint32)   { c.simd(vLoad16x4U); c.mem(3, offset) }
func (c *code) load32splat(offset uint32) { c.simd(vLoad32Splat); c.mem(2, offset) }

// vconst32 pushes a v128 whose four i32 lanes are v.
func (c *code) vconst32(v uint32) {
	c.simd(vConst)
	for i := 0; i < 4; i++ {
		c.b = append(c.b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
}

// addLocal computes l += v (both i32 locals or constants pushed by push).
func (c *code) addI32(l uint32, v int32) {
	c.get(l)
	c.i32c(v)
	c.op(opI32Add)
	c.set(l)
}

// function is an entry of the module.
type function struct {
	name   string // export name; "" for internal
	code   *code
	result bool // returns one i32
}

// module assembles functions and one exported memory into a binary.
type module struct {
	funcs []*function
}

func (m *module) add(name string, params ...byte) (*code, uint32) {
	c := &code{params: params}
	m.funcs = append(m.funcs, &function{name: name, code: c})
	return c, uint32(len(m.funcs) - 1)
}

func section(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = uleb(out, uint64(len(body)))
	return append(out, body...)
}

func vecBytes(b []byte) []byte { return append(uleb(nil, uint64(len(b))), b...) }

func name(b []byte, s string) []byte { return append(uleb(b, uint64(len(s))), s...) }

// bytes writes the module: one type per function (no deduplication: a
// handful of functions), one memory of minPages exported as "memory".
func (m *module) bytes(minPages uint32) []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	var types, funcs, exports, codes []byte
	types = uleb(types, uint64(len(m.funcs)))
	funcs = uleb(funcs, uint64(len(m.funcs)))
	nexp := 1
	for _, f := range m.funcs {
		if f.name != "" {
			nexp++
		}
	}
	exports = uleb(exports, uint64(nexp))
	exports = name(exports, "memory")
	exports = append(exports, 0x02, 0x00) // memory 0
	codes = uleb(codes, uint64(len(m.funcs)))
	for i, f := range m.funcs {
		types = append(types, 0x60)
		types = append(types, vecBytes(f.code.params)...)
		if f.result {
			types = append(types, 1, i32)
		} else {
			types = append(types, 0)
		}
		funcs = uleb(funcs, uint64(i))
		if f.name != "" {
			exports = name(exports, f.name)
			exports = append(exports, 0x00)
			exports = uleb(exports, uint64(i))
		}
		// Locals as runs of one type.
		var body []byte
		var runs [][2]uint64
		for _, t := range f.code.locals {
			if n := len(runs); n > 0 && runs[n-1][1] == uint64(t) {
				runs[n-1][0]++
			} else {
				runs = append(runs, [2]uint64{1, uint64(t)})
			}
		}
		body = uleb(body, uint64(len(runs)))
		for _, r := range runs {
			body = uleb(body, r[0])
			body = append(body, byte(r[1]))
		}
		body = append(body, f.code.b...)
		body = append(body, opEnd)
		codes = uleb(codes, uint64(len(body)))
		codes = append(codes, body...)
	}
	mem := uleb([]byte{1, 0x00}, uint64(minPages)) // one memory, no maximum
	out = section(out, 1, types)
	out = section(out, 3, funcs)
	out = section(out, 5, mem)
	out = section(out, 7, exports)
	out = section(out, 10, codes)
	return out
}
