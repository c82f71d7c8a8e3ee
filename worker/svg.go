package worker

import (
	"context"
	"encoding/json"
	"net/http"
)

// SVGModel is the layered-SVG diffusion model (issue #5) as the worker
// calls it. Until that model exists, Config.SVG is nil and both routes
// answer 501 after validating the request.
type SVGModel interface {
	Generate(ctx context.Context, req SVGRequest) (*SVGResult, error)
	Edit(ctx context.Context, req SVGRequest) (*SVGResult, error)
}

// SVGRequest is the body of /v1/svg/generate and /v1/svg/edit, mirroring
// the JS API m.generate({prompt, seed, steps, cfg}) and
// m.edit({svg, keep, recolor, add, prompt, seed}).
type SVGRequest struct {
	Prompt  string   `json:"prompt"`
	Seed    int64    `json:"seed"`
	Steps   int      `json:"steps"`
	CFG     *float64 `json:"cfg,omitempty"`
	SVG     string   `json:"svg,omitempty"`
	Keep    []int    `json:"keep,omitempty"`
	Recolor bool     `json:"recolor,omitempty"`
	Add     int      `json:"add,omitempty"`
}

// SVGResult is { svg, layers }.
type SVGResult struct {
	SVG    string            `json:"svg"`
	Layers []json.RawMessage `json:"layers"`
}

// defaultSVGSteps is used when a request leaves steps out.
const defaultSVGSteps = 24

func (h *Handler) svg(w http.ResponseWriter, r *http.Request, op string) {
	var req SVGRequest
	if !readJSONBody(w, r, &req) {
		return
	}
	if req.Steps == 0 {
		req.Steps = defaultSVGSteps
	}
	if req.Steps < 1 || req.Steps > MaxSVGSteps {
		writeError(w, http.StatusUnprocessableEntity, typeInvalidRequest, "steps_out_of_range",
			"steps must be between 1 and 64")
		return
	}
	if req.Add < 0 {
		writeError(w, http.StatusUnprocessableEntity, typeInvalidRequest, "add_out_of_range", "add must not be negative")
		return
	}
	if op == "edit" && req.SVG == "" {
		writeError(w, http.StatusUnprocessableEntity, typeInvalidRequest, "missing_svg", "edit needs the svg to edit")
		return
	}
	if op == "generate" && req.Prompt == "" {
		writeError(w, http.StatusUnprocessableEntity, typeInvalidRequest, "missing_prompt", "generate needs a prompt")
		return
	}
	if h.cfg.SVG == nil {
		writeError(w, http.StatusNotImplemented, typeUnavailable, "svg_model_unavailable",
			"svg model not available: the layered-SVG diffusion model is not part of this deployment yet")
		return
	}
	var res *SVGResult
	var err error
	if op == "edit" {
		res, err = h.cfg.SVG.Edit(r.Context(), req)
	} else {
		res, err = h.cfg.SVG.Generate(r.Context(), req)
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, typeServer, "svg_failed", err.Error())
		return
	}
	if res.Layers == nil {
		res.Layers = []json.RawMessage{}
	}
	writeJSON(w, http.StatusOK, res)
}
