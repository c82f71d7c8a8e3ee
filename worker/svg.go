package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/vector"
)

// SVGModel is a loaded layered-SVG diffusion model (issue #5) as the routes
// call it; worker/svg_model.go adapts package svgmodel to it. Calls on one
// model are serialised by the handler.
type SVGModel interface {
	Generate(ctx context.Context, req SVGRequest) (*SVGResult, error)
	Edit(ctx context.Context, req SVGRequest) (*SVGResult, error)
}

// SVGLoader loads an SVG model folder (config.json with model_type
// "lamina_layered_dit" + model.safetensors).
type SVGLoader func(ctx context.Context, fsys fs.FS) (SVGModel, error)

// SVGRequest is the body of /v1/svg/generate and /v1/svg/edit, mirroring
// the JS API m.generate({prompt, seed, steps, cfg, n}) and
// m.edit({svg, keep, recolor, add, prompt, seed}) or
// m.edit({svg, strength, prompt, seed, n}) (a variation).
//
// N (1..16) asks for n candidates: the response's candidates, candidate i
// drawn from seed+i (svgmodel.CandidateSeed), each exactly what the same
// request with that seed and no n returns. Strength (edit only, in [0, 1])
// makes an SDEdit variation of the whole drawing instead of a layer-wise
// edit (svgmodel.VariationOptions): 1 is generate with the same seed, 0 the
// drawing itself.
//
// Keep follows svgmodel.EditOptions: absent (nil) and [] differ — with
// keep absent, add alone keeps every existing layer; keep: [] regenerates
// all of them and adds on top.
type SVGRequest struct {
	Model    string   `json:"model,omitempty"`
	Prompt   string   `json:"prompt"`
	Seed     int64    `json:"seed"`
	Steps    int      `json:"steps"`
	CFG      *float64 `json:"cfg,omitempty"`
	SVG      string   `json:"svg,omitempty"`
	Keep     []int    `json:"keep,omitempty"`
	Recolor  bool     `json:"recolor,omitempty"`
	Add      int      `json:"add,omitempty"`
	N        *int     `json:"n,omitempty"`
	Strength *float64 `json:"strength,omitempty"`
}

// SVGResult is the response: { svg, layers } plus the model that drew it;
// with n, candidates holds all n and svg and layers are the first's.
type SVGResult struct {
	SVG        string               `json:"svg"`
	Layers     []svgmodel.LayerInfo `json:"layers"`
	Candidates []SVGCandidate       `json:"candidates,omitempty"`
	Model      string               `json:"model,omitempty"`
}

// SVGCandidate is one of n results; seed redraws it alone.
type SVGCandidate struct {
	SVG    string               `json:"svg"`
	Layers []svgmodel.LayerInfo `json:"layers"`
	Seed   uint64               `json:"seed"`
}

// DefaultSVGModel is the model the SVG routes use when a request names none
// and the bucket has it; otherwise the bucket's only SVG model is used.
const DefaultSVGModel = "layered-emoji"

// svgModelType is config.json's model_type of a layered-SVG model.
const svgModelType = "lamina_layered_dit"

// maxSVGCFG bounds cfg as svgmodel does; checked here so the 422 comes
// before a model load.
const maxSVGCFG = 50

// parseSVGRequest validates a body for op ("generate" or "edit"). Values
// outside the limits are 422, type errors 400; an SVG the vector pipeline
// cannot read is 400 with its message.
func parseSVGRequest(body []byte, op string) (*SVGRequest, error) {
	var req SVGRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, badRequest("invalid_json", "%v", err)
	}
	if req.Steps == 0 {
		req.Steps = svgmodel.DefaultSteps
	}
	if req.Steps < 1 || req.Steps > MaxSVGSteps {
		return nil, unprocessable("steps_out_of_range", "steps must be between 1 and %d, got %d", MaxSVGSteps, req.Steps)
	}
	if req.Seed < 0 {
		// The browser and the CLI take seeds as unsigned integers; a
		// negative one would silently mean a huge one here.
		return nil, unprocessable("seed_out_of_range", "seed must not be negative")
	}
	if req.CFG != nil && !(*req.CFG >= 0 && *req.CFG <= maxSVGCFG) {
		return nil, unprocessable("cfg_out_of_range", "cfg must be in [0, %d] (0 = the model's default, 1 = no guidance), got %g", maxSVGCFG, *req.CFG)
	}
	if req.Add < 0 {
		return nil, unprocessable("add_out_of_range", "add must not be negative")
	}
	if req.N != nil && (*req.N < 1 || *req.N > svgmodel.MaxCandidates) {
		return nil, unprocessable("n_out_of_range", "n must be between 1 and %d, got %d", svgmodel.MaxCandidates, *req.N)
	}
	if req.Strength != nil {
		if !(*req.Strength >= 0 && *req.Strength <= 1) {
			return nil, unprocessable("strength_out_of_range", "strength must be in [0, 1], got %g", *req.Strength)
		}
		if req.Keep != nil || req.Recolor || req.Add != 0 {
			return nil, unprocessable("strength_with_layer_edit", "strength makes a variation of the whole drawing; it does not combine with keep, recolor or add")
		}
	} else if op == "edit" && req.N != nil && *req.N > 1 {
		return nil, unprocessable("n_on_layer_edit", "n applies to generate and to a variation (edit with strength)")
	}
	switch op {
	case "generate":
		if req.Prompt == "" {
			return nil, unprocessable("missing_prompt", "generate needs a prompt")
		}
		if req.SVG != "" || req.Keep != nil || req.Recolor || req.Add != 0 || req.Strength != nil {
			return nil, unprocessable("edit_fields_on_generate", "svg, keep, recolor, add and strength belong to /v1/svg/edit")
		}
	case "edit":
		if req.SVG == "" {
			return nil, unprocessable("missing_svg", "edit needs the svg to edit")
		}
		// Parse here so a bad drawing is refused before any model load;
		// the model parses it again (cheap next to sampling).
		if _, err := vector.ParseSVG([]byte(req.SVG)); err != nil {
			return nil, badRequest("invalid_svg", "%v", err)
		}
	}
	return &req, nil
}

func (h *Handler) svg(w http.ResponseWriter, r *http.Request, op string) {
	var raw json.RawMessage
	if !readJSONBody(w, r, &raw) {
		return
	}
	req, err := parseSVGRequest(raw, op)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	if h.cfg.LoadSVG == nil {
		writeError(w, http.StatusNotImplemented, typeUnavailable, "svg_model_unavailable",
			"svg model not available: this worker has no layered-SVG runtime")
		return
	}
	m, err := h.getManifest(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, typeServer, "store_error", err.Error())
		return
	}
	mm, err := h.resolveSVGModel(r.Context(), m, req.Model)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	e, warm, err := h.models.get(r.Context(), kindSVG, mm, h.cfg.Store, svgLoad(h.cfg.LoadSVG))
	if err != nil {
		writeError(w, http.StatusInternalServerError, typeServer, "model_load_failed", fmt.Sprintf("loading %s: %v", mm.Name, err))
		return
	}
	setCacheHeaders(w, e, warm)
	e.gen.Lock()
	var res *SVGResult
	if op == "edit" {
		res, err = e.svg.Edit(r.Context(), *req)
	} else {
		res, err = e.svg.Generate(r.Context(), *req)
	}
	e.gen.Unlock()
	if err != nil {
		writeSVGError(w, err)
		return
	}
	if res.Layers == nil {
		res.Layers = []svgmodel.LayerInfo{}
	}
	res.Model = mm.Name
	writeJSON(w, http.StatusOK, res)
}

// writeSVGError maps the model's typed errors: the drawing (400), options
// the request could not know were wrong until the drawing was read — keep
// indices, room for added layers, too many layers for the slots (422).
func writeSVGError(w http.ResponseWriter, err error) {
	var ve *vector.Error
	switch {
	case errors.As(err, &ve):
		writeError(w, http.StatusBadRequest, typeInvalidRequest, "invalid_svg", err.Error())
	case errors.Is(err, svgmodel.ErrDoesNotFit):
		writeError(w, http.StatusUnprocessableEntity, typeInvalidRequest, "svg_does_not_fit", err.Error())
	case errors.Is(err, svgmodel.ErrOptions):
		writeError(w, http.StatusUnprocessableEntity, typeInvalidRequest, "invalid_options", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, typeServer, "svg_failed", err.Error())
	}
}

// setCacheHeaders says whether the model was already warm, and how long a
// cold load took.
func setCacheHeaders(w http.ResponseWriter, e *lmEntry, warm bool) {
	hdr := w.Header()
	if warm {
		hdr.Set("X-Lamina-Model-Cache", "hit")
		return
	}
	hdr.Set("X-Lamina-Model-Cache", "miss")
	hdr.Set("X-Lamina-Load-Ms", strconv.FormatFloat(float64(e.load.Microseconds())/1000, 'f', 1, 64))
}

// resolveSVGModel picks the request's model: the one named, else
// DefaultSVGModel when the bucket has it, else the bucket's only SVG model.
// A named model that is not an SVG model is 404, as OpenAI answers a model
// used on the wrong endpoint.
func (h *Handler) resolveSVGModel(ctx context.Context, m *Manifest, name string) (*ManifestModel, error) {
	if name == "" && m.model(DefaultSVGModel) != nil {
		name = DefaultSVGModel
	}
	if name != "" {
		mm := m.model(name)
		if mm == nil {
			return nil, &requestError{http.StatusNotFound, "model_not_found", "no model " + strconv.Quote(name)}
		}
		typ, err := h.modelType(ctx, mm)
		if err != nil {
			return nil, err
		}
		if typ != svgModelType {
			return nil, &requestError{http.StatusNotFound, "model_not_svg",
				fmt.Sprintf("model %q is not a layered-SVG model (model_type %q); use /v1/completions for language models", name, typ)}
		}
		return mm, nil
	}
	var found []*ManifestModel
	for i := range m.Models {
		mm := &m.Models[i]
		typ, err := h.modelType(ctx, mm)
		if err != nil {
			return nil, err
		}
		if typ == svgModelType {
			found = append(found, mm)
		}
	}
	switch len(found) {
	case 0:
		return nil, &requestError{http.StatusNotFound, "model_not_found", "this deployment has no layered-SVG model"}
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, mm := range found {
		names[i] = mm.Name
	}
	sort.Strings(names)
	return nil, badRequest("missing_model", "several layered-SVG models (%s) and none is %q: name one with model", strings.Join(names, ", "), DefaultSVGModel)
}

// maxConfigBytes bounds the config.json read to learn a model's type.
const maxConfigBytes = 1 << 20

// modelType is config.json's model_type ("" without a readable one),
// remembered per model content digest so a request without a model name
// does not read every config on every call.
func (h *Handler) modelType(ctx context.Context, mm *ManifestModel) (string, error) {
	digest := mm.digest()
	h.mu.Lock()
	if k, ok := h.kinds[mm.Name]; ok && k.digest == digest {
		h.mu.Unlock()
		return k.modelType, nil
	}
	h.mu.Unlock()
	typ := ""
	if f := mm.file("config.json"); f != nil {
		rc, err := h.cfg.Store.Get(ctx, objectKey(mm.Name, "config.json"), 0, -1)
		if err != nil {
			return "", &requestError{http.StatusBadGateway, "store_error", fmt.Sprintf("reading %s/config.json: %v", mm.Name, err)}
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxConfigBytes))
		rc.Close()
		if err != nil {
			return "", &requestError{http.StatusBadGateway, "store_error", fmt.Sprintf("reading %s/config.json: %v", mm.Name, err)}
		}
		var c struct {
			ModelType string `json:"model_type"`
		}
		// An unreadable config is "no type": the model is not an SVG
		// model, and the LM loader reports its own error for it.
		if json.Unmarshal(data, &c) == nil {
			typ = c.ModelType
		}
	}
	h.mu.Lock()
	if h.kinds == nil {
		h.kinds = map[string]modelKindEntry{}
	}
	h.kinds[mm.Name] = modelKindEntry{digest: digest, modelType: typ}
	h.mu.Unlock()
	return typ, nil
}

// modelKindEntry is a remembered config.json model_type.
type modelKindEntry struct {
	digest, modelType string
}
