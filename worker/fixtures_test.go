package worker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modelsDir is the models folder the tests serve: TestMain assembles it from
// testdata/models.txt (the fixtures are committed once, under model/, svgmodel/ and
// tokenizer/; scripts/testmodels.sh reads the same manifest for worker/test/run.sh).
var modelsDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lamina-worker-models-")
	if err == nil {
		err = assembleModels("testdata/models.txt", "..", dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker tests: assembling the models folder:", err)
		os.Exit(1)
	}
	modelsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// assembleModels copies what manifest lists (DEST SOURCE_DIR FILE..., sources relative to
// root) into dest.
func assembleModels(manifest, root, dest string) error {
	f, err := os.Open(manifest)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		if len(w) < 3 {
			return fmt.Errorf("%s: %q: want DEST SOURCE_DIR FILE...", manifest, sc.Text())
		}
		if err := os.MkdirAll(filepath.Join(dest, w[0]), 0o755); err != nil {
			return err
		}
		for _, name := range w[2:] {
			if err := copyFile(filepath.Join(root, w[1], name), filepath.Join(dest, w[0], name)); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
