package main

import "github.com/lamina-ml/lamina/internal/memfs"

// memFS is a read-only fs.FS over files the page fetched (name → bytes),
// so model.Load reads a browser download exactly as it reads a directory.
type memFS = memfs.FS
