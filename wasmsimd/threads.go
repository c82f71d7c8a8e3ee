package wasmsimd

import (
	"context"
	"errors"
)

// Threads: where the page may share memory between threads (cross-origin
// isolated, or Node), the engine runs the kernel module on N threads — the
// calling one and N-1 Web Workers (worker_threads in Node) — over one
// shared WebAssembly.Memory. The kernel module is the same, its memory
// turned into an import of a shared one (SharedModule); a second, small
// module, the driver (DriverModule), splits each product into chunks that
// the threads claim from a counter in shared memory:
//
//   - a matvec (T = 1) into chunks of 8-row panels, each one a call of the
//     kernel on fewer panels (w and out moved on, Np the chunk's count);
//   - a matmul (T ≥ 2) into chunks of tokens, multiples of tileRows, so
//     every token goes through the same tile (4-row or 1-row) as on one
//     thread.
//
// A chunk is a kernel call the one-thread path also makes on the same
// values in the same order, so the output is bit-identical to one thread's,
// whoever runs which chunk. The calling thread takes chunks as well, so a
// worker that is descheduled (2 busy cores) costs nothing but the chunks it
// did not take: the caller runs them itself.
//
// Exports of the driver (pointers are byte offsets into the shared memory;
// C is a 128-byte control block, zero at first):
//
//	run(C, kind, w, x, out, T, K, Np, scratch, stride, mode, chunk, psz, aux, n, canWait, self)
//	    publishes the job (kind 0…6: mm_f32/f16/bf16/f16fin/q8/q4, attn_full, called with aux as
//	    their last argument; mode 0: chunk panels per chunk, T = 1, a panel being psz
//	    bytes of w; mode 1: chunk tokens per chunk; n chunks), runs
//	    chunks until none is left (self = 0: none, the tests' way to make the
//	    workers do all), then waits for the workers' (spinning on an atomic
//	    load, or memory.atomic.wait32 where canWait ≠ 0: a browser's main
//	    thread may not wait)
//	work(C, id, spin)
//	    a worker's loop: waits for a job (spin loads, then wait32), runs
//	    chunks with scratch + id·stride as its panel scratch; returns on a
//	    job of kind -1
//
// Control block (i32 at byte offsets): 0 generation (odd while run writes
// the job), 4 next chunk to claim (grows across jobs: job chunks are
// [base, end)), 8 chunks done by workers, 16.. the job: base, end, kind, w,
// x, out, T, K, Np, scratch, stride, mode, chunk, psz, aux. Every access to the block
// is atomic (sequentially consistent), so a worker that reads a job while
// the next is written sees the generation change and reads again; workers
// claim with compare-exchange below end, so a worker still holding an old
// job never takes a chunk of a newer one.

// Atomic opcodes (after the 0xFE prefix; threads proposal).
const (
	aNotify  = 0x00
	aWait32  = 0x01
	aLoad    = 0x10
	aStore   = 0x17
	aAdd     = 0x1e
	aCmpxchg = 0x48
)

// More plain opcodes the driver uses.
const (
	opDrop     = 0x1a
	opI64Const = 0x42
	opI32Eq    = 0x46
	opI32Ne    = 0x47
)

// (opSelect and opI32And are declared with the attention kernel's opcodes.)

// atomic writes 0xFE op with the natural i32 alignment and offset off.
func atomic(c *code, op uint32, off uint32) {
	c.b = uleb(append(c.b, 0xfe), uint64(op))
	c.mem(2, off)
}

// The control block's offsets.
const (
	ctrlGen   = 0
	ctrlClaim = 4
	ctrlDone  = 8
	ctrlJob   = 16 // base, end, kind, w, x, out, T, K, Np, scratch, stride, mode, chunk, psz, aux
	ctrlSize  = 128
)

// jobFields is the number of i32 of a job at ctrlJob.
const jobFields = 15

// kernelNames are the kernel exports the driver imports, in dtype order.
// attn_full (kindAttnFull, rowops.go) has their signature and runs in
// chunks of query rows like a matmul's tokens.
var kernelNames = []string{"mm_f32", "mm_f16", "mm_bf16", "mm_f16fin", "mm_q8", "mm_q4", "attn_full"}

// driver function indices: the imported kernels, then these.
const (
	fnMM     = 0 // mm_<dtype> is fnMM + the dtype
	nDriverF = 7
	fnChunk  = nDriverF
	fnRun    = nDriverF + 1
	fnWork   = nDriverF + 2
)

// emitKernelCall calls mm_<kind> on the 8 locals args, kind a local
// 0..nDriverF-1 (any other value runs the last).
func emitKernelCall(c *code, kind uint32, args [8]uint32) {
	for f := 0; f < nDriverF; f++ {
		if f < nDriverF-1 {
			c.get(kind)
			c.i32c(int32(f))
			c.op(opI32Eq)
			c.b = append(c.b, opIf, blockVoid)
		}
		for _, a := range args {
			c.get(a)
		}
		c.call(uint32(fnMM + f))
		if f < nDriverF-1 {
			c.op(opElse)
		}
	}
	for f := 0; f < nDriverF-1; f++ {
		c.end()
	}
}

// emitWait sleeps (memory.atomic.wait32, no timeout) while the i32 at
// C+off is the local expected.
func emitWait(c *code, C, expected, off uint32) {
	c.get(C)
	c.get(expected)
	c.b = sleb(append(c.b, opI64Const), -1)
	atomic(c, aWait32, off)
	c.op(opDrop)
}

// emitMin sets dst = min(a, b) (signed).
func emitMin(c *code, dst, a, b uint32) {
	c.get(a)
	c.get(b)
	c.get(a)
	c.get(b)
	c.op(opI32LtS)
	c.op(opSelect)
	c.set(dst)
}

// emitChunk writes chunk(kind, w, x, out, T, K, Np, mode, csize, psz, aux, i, scratch):
// the i-th chunk of a job.
func emitChunk() *code {
	c := &code{params: []byte{i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32}}
	const kind, w, x, out, tt, kk, np, mode, csize, psz, aux, i, scr = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
	first, left, cnt, one := c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	c.get(i)
	c.get(csize)
	c.op(opI32Mul)
	c.set(first)
	c.get(mode)
	c.op(opI32Eqz)
	c.b = append(c.b, opIf, blockVoid)
	// Panels: w += first·psz, out += first·32, Np = min(csize, Np-first).
	c.get(np)
	c.get(first)
	c.op(opI32Sub)
	c.set(left)
	emitMin(c, cnt, csize, left)
	c.get(w)
	c.get(first)
	c.get(psz)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(w)
	c.get(out)
	c.get(first)
	c.i32c(32)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(out)
	c.i32c(1)
	c.set(one)
	emitKernelCall(c, kind, [8]uint32{w, x, out, one, kk, cnt, scr, aux})
	c.op(opElse)
	// Tokens: x += first·K·4, out += first·Np·32, T = min(csize, T-first).
	c.get(tt)
	c.get(first)
	c.op(opI32Sub)
	c.set(left)
	emitMin(c, cnt, csize, left)
	c.get(x)
	c.get(first)
	c.get(kk)
	c.op(opI32Mul)
	c.i32c(4)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(x)
	c.get(out)
	c.get(first)
	c.get(np)
	c.op(opI32Mul)
	c.i32c(32)
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(out)
	emitKernelCall(c, kind, [8]uint32{w, x, out, cnt, kk, np, scr, aux})
	c.end()
	return c
}

// emitClaimed runs a claimed chunk: chunk(job…, v-base, scr).
func emitClaimed(c *code, job [jobFields]uint32, v, scr uint32) {
	// job: base, end, kind, w, x, out, T, K, Np, scratch, stride, mode, chunk, psz, aux
	for _, l := range []uint32{job[2], job[3], job[4], job[5], job[6], job[7], job[8], job[11], job[12], job[13], job[14]} {
		c.get(l)
	}
	c.get(v)
	c.get(job[0])
	c.op(opI32Sub)
	c.get(scr)
	c.call(fnChunk)
}

// emitRun writes run; see the comment at the top of the file.
func emitRun() *code {
	c := &code{params: make([]byte, jobFields+2)}
	for i := range c.params {
		c.params[i] = i32
	}
	const C, n, canWait, self = 0, jobFields - 1, jobFields, jobFields + 1
	gen, v, mine, target := c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	base, end := c.local(i32), c.local(i32)
	// job locals: base, end, then the params kind … aux (1 … 13).
	var job [jobFields]uint32
	job[0], job[1] = base, end
	for i := 2; i < jobFields; i++ {
		job[i] = uint32(i - 1)
	}
	c.get(C)
	atomic(c, aLoad, ctrlGen)
	c.set(gen)
	c.get(C)
	c.get(gen)
	c.i32c(1)
	c.op(opI32Add)
	atomic(c, aStore, ctrlGen)
	c.get(C)
	atomic(c, aLoad, ctrlClaim)
	c.set(base)
	c.get(base)
	c.get(n)
	c.op(opI32Add)
	c.set(end)
	c.get(C)
	atomic(c, aLoad, ctrlDone)
	c.get(n)
	c.op(opI32Add)
	c.set(target)
	for i, l := range job {
		c.get(C)
		c.get(l)
		atomic(c, aStore, uint32(ctrlJob+4*i))
	}
	c.get(C)
	c.get(gen)
	c.i32c(2)
	c.op(opI32Add)
	atomic(c, aStore, ctrlGen)
	c.get(C)
	c.i32c(-1) // wake every waiter
	atomic(c, aNotify, ctrlGen)
	c.op(opDrop)
	// Claim chunks (add: the one failed claim leaves the counter at end+1).
	c.get(self)
	c.b = append(c.b, opIf, blockVoid)
	c.block()
	c.loop()
	c.get(C)
	c.i32c(1)
	atomic(c, aAdd, ctrlClaim)
	c.tee(v)
	c.get(end)
	c.op(opI32Sub)
	c.i32c(0)
	c.op(opI32GeS)
	c.brIf(1)
	emitClaimed(c, job, v, job[9])
	c.addI32(mine, 1)
	c.br(0)
	c.end()
	c.end()
	c.end()
	// Wait until the workers did the other n-mine.
	c.get(target)
	c.get(mine)
	c.op(opI32Sub)
	c.set(target)
	c.block()
	c.loop()
	c.get(C)
	atomic(c, aLoad, ctrlDone)
	c.tee(v)
	c.get(target)
	c.op(opI32Sub)
	c.i32c(0)
	c.op(opI32GeS)
	c.brIf(1)
	c.get(canWait)
	c.b = append(c.b, opIf, blockVoid)
	emitWait(c, C, v, ctrlDone)
	c.end()
	c.br(0)
	c.end()
	c.end()
	return c
}

// emitWork writes work; see the comment at the top of the file.
func emitWork() *code {
	c := &code{params: []byte{i32, i32, i32}}
	const C, id, spin = 0, 1, 2
	seen, g, s, v, scr := c.local(i32), c.local(i32), c.local(i32), c.local(i32), c.local(i32)
	var job [jobFields]uint32
	for i := range job {
		job[i] = c.local(i32)
	}
	c.get(C)
	atomic(c, aLoad, ctrlGen)
	c.i32c(-2)
	c.op(opI32And)
	c.set(seen)
	c.block() // exit
	c.loop()  // jobs
	// Wait for a new, even generation: spin, then wait32.
	c.i32c(0)
	c.set(s)
	c.block()
	c.loop()
	c.get(C)
	atomic(c, aLoad, ctrlGen)
	c.tee(g)
	c.get(seen)
	c.op(opI32Ne)
	c.get(g)
	c.i32c(1)
	c.op(opI32And)
	c.op(opI32Eqz)
	c.op(opI32And)
	c.brIf(1)
	c.addI32(s, 1)
	c.get(s)
	c.get(spin)
	c.op(opI32GeS)
	c.b = append(c.b, opIf, blockVoid)
	emitWait(c, C, g, ctrlGen)
	c.i32c(0)
	c.set(s)
	c.end()
	c.br(0)
	c.end()
	c.end()
	for i, l := range job {
		c.get(C)
		atomic(c, aLoad, uint32(ctrlJob+4*i))
		c.set(l)
	}
	// Torn (the next job was being written): read again.
	c.get(C)
	atomic(c, aLoad, ctrlGen)
	c.get(g)
	c.op(opI32Ne)
	c.brIf(0)
	c.get(g)
	c.set(seen)
	c.get(job[2])
	c.i32c(0)
	c.op(opI32LtS)
	c.brIf(1) // kind -1: quit
	// scr = scratch + id·stride
	c.get(job[9])
	c.get(id)
	c.get(job[10])
	c.op(opI32Mul)
	c.op(opI32Add)
	c.set(scr)
	c.block()
	c.loop()
	c.get(C)
	atomic(c, aLoad, ctrlClaim)
	c.tee(v)
	c.get(job[1])
	c.op(opI32Sub)
	c.i32c(0)
	c.op(opI32GeS)
	c.brIf(1)
	c.get(C)
	c.get(v)
	c.get(v)
	c.i32c(1)
	c.op(opI32Add)
	atomic(c, aCmpxchg, ctrlClaim)
	c.get(v)
	c.op(opI32Ne)
	c.brIf(0)
	emitClaimed(c, job, v, scr)
	c.get(C)
	c.i32c(1)
	atomic(c, aAdd, ctrlDone)
	c.op(opDrop)
	c.get(C)
	c.i32c(1)
	atomic(c, aNotify, ctrlDone)
	c.op(opDrop)
	c.br(0)
	c.end()
	c.end()
	c.br(0)
	c.end()
	c.end()
	return c
}

// maxPages is the maximum of the shared memory (4 GiB, wasm32's most).
const maxPages = 65536

// sharedLimits is a memory type: shared, min pages, maximum maxPages.
func sharedLimits(b []byte, min uint32) []byte {
	return uleb(uleb(append(b, 0x03), uint64(min)), maxPages)
}

// DriverModule returns the driver module's bytes (see the top of the file).
// It imports "k" kernelNames and the shared memory "env" "memory".
func DriverModule() []byte {
	kern := []byte{0x60, 8, i32, i32, i32, i32, i32, i32, i32, i32, 0}
	fns := []*code{emitChunk(), emitRun(), emitWork()}
	var types []byte
	types = uleb(types, uint64(1+len(fns)))
	types = append(types, kern...)
	for _, f := range fns {
		types = append(types, 0x60)
		types = append(types, vecBytes(f.params)...)
		types = append(types, 0)
	}
	var imports []byte
	imports = uleb(imports, nDriverF+1)
	for _, n := range kernelNames {
		imports = name(name(imports, "k"), n)
		imports = append(imports, 0x00, 0) // func of type 0
	}
	imports = name(name(imports, "env"), "memory")
	imports = sharedLimits(append(imports, 0x02), 1)
	funcs := uleb(nil, uint64(len(fns)))
	for i := range fns {
		funcs = uleb(funcs, uint64(1+i))
	}
	exports := uleb(nil, 2)
	exports = name(exports, "run")
	exports = uleb(append(exports, 0x00), fnRun)
	exports = name(exports, "work")
	exports = uleb(append(exports, 0x00), fnWork)
	codes := uleb(nil, uint64(len(fns)))
	for _, f := range fns {
		body := uleb(nil, uint64(len(f.locals))) // one run per local (all i32)
		for _, t := range f.locals {
			body = append(body, 1, t)
		}
		body = append(body, f.b...)
		body = append(body, opEnd)
		codes = uleb(codes, uint64(len(body)))
		codes = append(codes, body...)
	}
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, types)
	out = section(out, 2, imports)
	out = section(out, 3, funcs)
	out = section(out, 7, exports)
	out = section(out, 10, codes)
	return out
}

// errModule is SharedModule's error for bytes it cannot rewrite.
var errModule = errors.New("wasmsimd: not a kernel module with one memory of its own")

// SharedModule rewrites kernel module bytes m so that its memory is an
// import "env" "memory", shared, with the same minimum and a maximum of
// maxPages: the memory section goes, an import section takes its place
// after the types. Function indices do not move (only imported functions
// would shift them), and the export of memory 0 now names the import.
func SharedModule(m []byte) ([]byte, error) {
	if len(m) < 8 || string(m[:8]) != "\x00asm\x01\x00\x00\x00" {
		return nil, errModule
	}
	type sec struct {
		id   byte
		body []byte
	}
	var secs []sec
	min, mems := uint64(0), 0
	for p := 8; p < len(m); {
		size, n := readULEB(m[p+1:])
		start := p + 1 + n
		if n == 0 || size > uint64(len(m)-start) {
			return nil, errModule
		}
		s := sec{m[p], m[start : start+int(size)]}
		p = start + int(size)
		switch s.id {
		case 2:
			return nil, errModule // it imports already
		case 5:
			cnt, k := readULEB(s.body)
			if cnt != 1 || k == 0 || len(s.body) < k+2 || s.body[k] != 0x00 {
				return nil, errModule
			}
			v, j := readULEB(s.body[k+1:])
			if j == 0 || v > maxPages {
				return nil, errModule
			}
			min, mems = v, mems+1
			continue
		}
		secs = append(secs, s)
	}
	if mems != 1 || len(secs) == 0 || secs[0].id != 1 {
		return nil, errModule
	}
	imports := name(name(uleb(nil, 1), "env"), "memory")
	imports = sharedLimits(append(imports, 0x02), uint32(min))
	out := append([]byte(nil), m[:8]...)
	for i, s := range secs {
		out = section(out, s.id, s.body)
		if i == 0 {
			out = section(out, 2, imports)
		}
	}
	return out, nil
}

// readULEB reads an unsigned LEB128 u32; n is 0 when b holds none.
func readULEB(b []byte) (v uint64, n int) {
	for i := 0; i < len(b) && i < 5; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// plan is how a product is split: mode 0 (panels) or 1 (tokens), chunk
// panels or tokens per chunk, n chunks; n ≤ 1 means run it on one thread.
func plan(threads, T, K, np, minWork int) (mode, chunk, n int) {
	if threads <= 1 || T*K*np*8 < minWork {
		return 0, 0, 1
	}
	// Twice as many chunks as threads: a slow thread leaves its share to
	// the others.
	want := 2 * threads
	if T == 1 {
		chunk = max((np+want-1)/want, minPanels)
		return 0, chunk, (np + chunk - 1) / chunk
	}
	chunk = (T + want - 1) / want
	chunk = (chunk + tileRows - 1) / tileRows * tileRows
	return 1, chunk, (T + chunk - 1) / chunk
}

// minPanels is the fewest panels of a matvec chunk (64 rows).
const minPanels = 8

type threadsKey struct{}

// WithThreads returns ctx asking Load for n threads (the calling one and
// n-1 workers). Load takes them where memory can be shared between threads
// (a cross-origin isolated page, or Node) and falls back to one thread
// elsewhere; Engine.Threads says which. Without it Load takes one thread.
func WithThreads(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, threadsKey{}, n)
}

// threadsFrom is the count WithThreads put in ctx, or 1.
func threadsFrom(ctx context.Context) int {
	if n, ok := ctx.Value(threadsKey{}).(int); ok && n > 1 {
		return min(n, maxThreads)
	}
	return 1
}

// maxThreads bounds the threads one engine takes.
const maxThreads = 16
