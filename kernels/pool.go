package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool splits one kernel call into chunks that persistent
// goroutines and the caller claim from a shared counter. Decode calls ~200
// matrix-vector products per token, each only tens of microseconds long, so
// starting goroutines per call would be a visible cost; and because the caller
// keeps claiming chunks of its own job instead of waiting, nested or
// concurrent callers (a backend that already splits work across goroutines,
// parallel tests) never sit idle behind a busy pool.

// job is one parallel call: chunks [0,n) of fn.
type job struct {
	next atomic.Int64
	n    int64
	fn   func(chunk int)
	wg   sync.WaitGroup
}

// run claims and runs chunks until none are left.
func (j *job) run() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(int(i))
		j.wg.Done()
	}
}

var (
	poolOnce    sync.Once
	poolJobs    chan *job
	poolWorkers int
)

// startPool starts GOMAXPROCS-1 helpers (the caller is the last worker).
func startPool() {
	poolWorkers = runtime.GOMAXPROCS(0) - 1
	if poolWorkers <= 0 {
		return
	}
	poolJobs = make(chan *job, 4*poolWorkers)
	for i := 0; i < poolWorkers; i++ {
		go func() {
			for j := range poolJobs {
				j.run()
			}
		}()
	}
}

// Workers is the number of goroutines a kernel call may run on at once
// (GOMAXPROCS when the pool started, at least 1).
func Workers() int {
	poolOnce.Do(startPool)
	return poolWorkers + 1
}

// ParallelFor runs fn(chunk) for every chunk in [0,n) on the caller and the
// pool's helpers and returns when all are done. fn must be safe to run
// concurrently for different chunks. It is exported so the CPU backend can
// split its own ops (attention heads, norms over rows) on the same workers.
func ParallelFor(n int, fn func(chunk int)) {
	poolOnce.Do(startPool)
	if n <= 0 {
		return
	}
	if n == 1 || poolWorkers == 0 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	j := &job{n: int64(n), fn: fn}
	j.wg.Add(n)
	for h := 0; h < poolWorkers && h < n-1; h++ {
		select {
		case poolJobs <- j:
		default: // helpers are busy: the caller does more itself
		}
	}
	j.run()
	j.wg.Wait()
}
