//go:build js && wasm

package main

import (
	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/ui/svgdrawer"
)

// drawer is the loaded model as the editor's state machine sees it (ui.Drawer).
func drawer(m *svgmodel.Model) ui.Drawer { return svgdrawer.New(m) }

// drawOptions carries the generation controls (read into svgmodel.Options, whose limits
// they are checked against) over to the editor.
func drawOptions(o svgmodel.Options) ui.DrawOptions {
	return ui.DrawOptions{Prompt: o.Prompt, Seed: o.Seed, Steps: o.Steps, CFG: o.CFG}
}
