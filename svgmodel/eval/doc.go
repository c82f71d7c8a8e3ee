// Package eval measures lamina's layered-SVG diffusion model on the validation split of the
// vector pipeline's dataset, as issue 5 asks: the rectified-flow validation loss of
// train/svg/train.py, the validity of generated layers, novelty (nearest training drawing by
// raster IoU, near-copies), diversity across seeds, prompt fidelity (a small MLP trained on
// renders of the training emoji predicts the group and subgroup of the samples) and sample
// latency; Gallery draws a labelled PNG grid of samples for people to look at.
//
// Prompts are the canonical captions of validation emoji (their names, train.py's
// caption(meta, None)), one per base emoji, in a seeded shuffle. Everything is pure Go and
// deterministic for given seeds, apart from the latency figures.
package eval
