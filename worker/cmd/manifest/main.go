// Command manifest hashes a models folder (one subfolder per model) and
// prints the manifest the worker reads from its bucket at
// worker.ManifestKey. worker/dev.sh and worker/deploy-models.sh upload it
// next to the files, so the worker never hashes weights per request.
//
//	go run ./worker/cmd/manifest MODELS_DIR > manifest.json
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/lamina-ml/lamina/worker"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: manifest MODELS_DIR")
		os.Exit(2)
	}
	m, err := worker.BuildManifest(os.DirFS(os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "manifest:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		fmt.Fprintln(os.Stderr, "manifest:", err)
		os.Exit(1)
	}
}
