package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
)

// modelFlagHelp describes what --model accepts, for the commands' flags.
const modelFlagHelp = "model: a Hugging Face folder (config.json + safetensors [+ tokenizer.json]), a .gguf file, or an http(s) URL of a .gguf file (read with Range requests, else downloaded whole)"

// modelSource is an opened --model: a folder, a GGUF file, or a GGUF URL,
// seen as a model folder (gguf.File.ModelFS for GGUF: Q8_0/Q4_0 matrices
// kept quantized, other quantized types widened to F16, the tokenizer from
// the metadata).
type modelSource struct {
	name  string
	fsys  fs.FS
	close func() error
	// Ranged is set for a URL read through Range requests (a *gguf.RangeReaderAt).
	ranged interface {
		Stats() (requests, bytes int64)
	}
}

// maxWholeGGUF bounds a GGUF downloaded whole from a server without Range
// support (it is held in memory while the model loads from it).
const maxWholeGGUF = 8 << 30

// openModelSource opens --model src. A GGUF URL is read through HTTP Range
// requests, one per tensor; a server that answers a Range request with the
// whole file (200) gets one plain download held in memory instead.
func openModelSource(ctx context.Context, src string) (*modelSource, error) {
	noop := func() error { return nil }
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		return openURLSource(ctx, src)
	}
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		fsys, _, err := gguf.FolderFS(os.DirFS(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		return &modelSource{name: src, fsys: fsys, close: noop}, nil
	}
	f, closer, err := gguf.OpenFile(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	fsys, err := f.ModelFS()
	if err != nil {
		closer.Close()
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return &modelSource{name: src, fsys: fsys, close: closer.Close}, nil
}

func downloadWhole(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWholeGGUF+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if len(data) > maxWholeGGUF {
		return nil, fmt.Errorf("%s: larger than %d GiB", url, maxWholeGGUF>>30)
	}
	return data, nil
}

// load loads the model on be.
func (s *modelSource) load(be tensor.Backend) (*model.Model, error) {
	m, err := model.Load(s.fsys, be)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return m, nil
}

// tokenizer loads the source's tokenizer.json; nil, nil when it has none.
func (s *modelSource) tokenizer() (*tokenizer.Tokenizer, error) {
	return readTokenizer(s.fsys, s.name+": tokenizer.json")
}

// readTokenizer loads tokenizer.json from fsys; nil, nil when there is
// none. A file that does not parse is an error that starts with where.
func readTokenizer(fsys fs.FS, where string) (*tokenizer.Tokenizer, error) {
	data, err := fs.ReadFile(fsys, "tokenizer.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return tok, nil
}

// openModel opens src and loads its model on the CPU backend.
func openModel(src string) (*model.Model, *tokenizer.Tokenizer, func() error, error) {
	s, err := openModelSource(context.Background(), src)
	if err != nil {
		return nil, nil, nil, err
	}
	tok, err := s.tokenizer()
	if err != nil {
		s.close()
		return nil, nil, nil, err
	}
	m, err := s.load(tensor.NewCPU())
	if err != nil {
		s.close()
		return nil, nil, nil, err
	}
	return m, tok, func() error { m.Close(); return s.close() }, nil
}
