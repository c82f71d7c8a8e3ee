package vector

// CompositeOver draws color c with per-pixel coverage cov over dst, source-over in straight
// (non-premultiplied) alpha: dst is (len(cov),4) RGBA in [0,1], cov is (len(cov)) in [0,1].
// It is the one compositing rule of the project: Render, the editor's display-list
// rasterizer (ui) and its browser layer raster (ui/editorwasm) all draw through it, so their
// pixels agree.
func CompositeOver(dst, cov []float32, c RGBA) {
	for i, m := range cov {
		if m == 0 {
			continue
		}
		sa := float32(c.A) * m
		p := dst[4*i : 4*i+4]
		da := p[3]
		oa := sa + da*(1-sa)
		if oa <= 0 {
			continue
		}
		p[0] = (float32(c.R)*sa + p[0]*da*(1-sa)) / oa
		p[1] = (float32(c.G)*sa + p[1]*da*(1-sa)) / oa
		p[2] = (float32(c.B)*sa + p[2]*da*(1-sa)) / oa
		p[3] = oa
	}
}
