package worker

import (
	"context"
	"io/fs"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
)

// LoadSVGCPU is the SVGLoader of the worker: package svgmodel on the pure-Go
// CPU backend (Workers have no GPU).
func LoadSVGCPU(ctx context.Context, fsys fs.FS) (SVGModel, error) {
	m, err := svgmodel.Load(fsys, tensor.NewCPU())
	if err != nil {
		return nil, err
	}
	return cpuSVG{m}, nil
}

type cpuSVG struct{ m *svgmodel.Model }

func svgOptions(r SVGRequest) svgmodel.Options {
	o := svgmodel.Options{Prompt: r.Prompt, Seed: uint64(r.Seed), Steps: r.Steps}
	if r.CFG != nil {
		o.CFG = float32(*r.CFG)
	}
	return o
}

func (s cpuSVG) Generate(ctx context.Context, r SVGRequest) (*SVGResult, error) {
	res, err := s.m.GenerateN(ctx, svgOptions(r), candidates(r))
	if err != nil {
		return nil, err
	}
	return svgResult(r, res), nil
}

func (s cpuSVG) Edit(ctx context.Context, r SVGRequest) (*SVGResult, error) {
	if r.Strength != nil {
		res, err := s.m.VariationN(ctx, svgmodel.VariationOptions{Options: svgOptions(r), SVG: []byte(r.SVG), Strength: *r.Strength}, candidates(r))
		if err != nil {
			return nil, err
		}
		return svgResult(r, res), nil
	}
	res, err := s.m.Edit(ctx, svgmodel.EditOptions{
		Options: svgOptions(r), SVG: []byte(r.SVG), Keep: r.Keep, Recolor: r.Recolor, Add: r.Add,
	})
	if err != nil {
		return nil, err
	}
	return &SVGResult{SVG: string(res.SVG), Layers: res.Layers}, nil
}

// candidates is the request's n (1 when absent).
func candidates(r SVGRequest) int {
	if r.N == nil {
		return 1
	}
	return *r.N
}

// svgResult is the response for res: the first drawing, and with n every candidate.
func svgResult(r SVGRequest, res []*svgmodel.Result) *SVGResult {
	out := &SVGResult{SVG: string(res[0].SVG), Layers: res[0].Layers}
	if r.N != nil {
		for i, c := range res {
			out.Candidates = append(out.Candidates, SVGCandidate{SVG: string(c.SVG), Layers: c.Layers, Seed: svgmodel.CandidateSeed(uint64(r.Seed), i)})
		}
	}
	return out
}
