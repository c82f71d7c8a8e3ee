package ui

import "strings"

// Action is an editor command a key can trigger.
type Action int

const (
	ActNone Action = iota
	ActUndo
	ActRedo
	ActDelete
	ActDuplicate
	ActBringForward
	ActSendBackward
	ActSelectAll
	ActDeselect
	ActToggleHidden
	ActToggleLocked
	ActNudge
	// View actions change the camera, not the document: the caller handles them (Run
	// reports false), with ui.View's zoom methods.
	ActZoomIn
	ActZoomOut
	ActZoomFit       // fit the artboard and every shape
	ActZoom100       // the artboard's fit (100 %)
	ActZoomSelection // fit the selection and its handles
	ActAlign         // Shortcut.Align: Editor.Align
	ActDistributeH
	ActDistributeV
)

var actionNames = map[Action]string{
	ActNone: "none", ActUndo: "undo", ActRedo: "redo", ActDelete: "delete", ActDuplicate: "duplicate",
	ActBringForward: "bring-forward", ActSendBackward: "send-backward", ActSelectAll: "select-all",
	ActDeselect: "deselect", ActToggleHidden: "toggle-hidden", ActToggleLocked: "toggle-locked", ActNudge: "nudge",
	ActZoomIn: "zoom-in", ActZoomOut: "zoom-out", ActZoomFit: "zoom-fit", ActZoom100: "zoom-100", ActZoomSelection: "zoom-selection",
	ActAlign: "align", ActDistributeH: "distribute-h", ActDistributeV: "distribute-v",
}

// IsView reports whether a is a view action (zoom), which Run leaves to the caller.
func (a Action) IsView() bool { return a >= ActZoomIn && a <= ActZoomSelection }

func (a Action) String() string { return actionNames[a] }

// KeyEvent is the part of a DOM KeyboardEvent the shortcuts need: Key is event.key,
// Code is event.code (layout-independent, used for the bracket keys, which need Shift or
// AltGr on some layouts).
type KeyEvent struct {
	Key, Code              string
	Meta, Ctrl, Shift, Alt bool
}

// Shortcut is a resolved key: the action, for ActNudge the step in user units, for
// ActAlign the alignment.
type Shortcut struct {
	Action Action
	DX, DY float64
	Align  Align
}

// alignKeys are Figma's Alt+letter alignment keys, by event.code (Option+letter types
// another character on a Mac).
var alignKeys = map[string]Align{
	"KeyA": AlignLeft, "KeyH": AlignCenterH, "KeyD": AlignRight,
	"KeyW": AlignTop, "KeyV": AlignMiddle, "KeyS": AlignBottom,
}

// Nudge steps: arrow keys move 1 unit, Shift+arrow 10 (of the 36-unit drawing).
const (
	nudgeStep      = 1
	nudgeShiftStep = 10
)

// ShortcutFor maps a key press to an action. Mod is Cmd on macOS and Ctrl elsewhere; the
// other of the two must be up, so that e.g. Ctrl+Z on a Mac stays the system's.
func ShortcutFor(ev KeyEvent, mac bool) Shortcut {
	mod := ev.Ctrl && !ev.Meta
	if mac {
		mod = ev.Meta && !ev.Ctrl
	}
	noMod := !ev.Ctrl && !ev.Meta
	key := strings.ToLower(ev.Key)
	al, isAlign := alignKeys[ev.Code]
	switch {
	case mod && key == "z" && !ev.Shift:
		return Shortcut{Action: ActUndo}
	case mod && key == "z" && ev.Shift, mod && !mac && key == "y" && !ev.Shift:
		return Shortcut{Action: ActRedo}
	case mod && key == "d" && !ev.Shift:
		return Shortcut{Action: ActDuplicate}
	case mod && (key == "]" || ev.Code == "BracketRight"):
		return Shortcut{Action: ActBringForward}
	case mod && (key == "[" || ev.Code == "BracketLeft"):
		return Shortcut{Action: ActSendBackward}
	case mod && key == "a" && !ev.Shift:
		return Shortcut{Action: ActSelectAll}
	case mod && ev.Shift && key == "h":
		return Shortcut{Action: ActToggleHidden}
	case mod && ev.Shift && key == "l":
		return Shortcut{Action: ActToggleLocked}
	// Zoom (Figma's keys): Mod+= / Mod+− step, Mod+0 or Shift+1 fit everything, Mod+1 or
	// Shift+0 is 100 %, Shift+2 the selection. Codes as well as keys, since Shift changes
	// what the digit keys type ("!", "@", ")" on a US layout) and "=" needs Shift on others.
	case mod && (key == "=" || key == "+" || ev.Code == "Equal" || ev.Code == "NumpadAdd"):
		return Shortcut{Action: ActZoomIn}
	case mod && (key == "-" || key == "_" || ev.Code == "Minus" || ev.Code == "NumpadSubtract"):
		return Shortcut{Action: ActZoomOut}
	case mod && !ev.Shift && (key == "0" || ev.Code == "Digit0" || ev.Code == "Numpad0"):
		return Shortcut{Action: ActZoomFit}
	case mod && !ev.Shift && (key == "1" || ev.Code == "Digit1" || ev.Code == "Numpad1"):
		return Shortcut{Action: ActZoom100}
	case noMod && ev.Shift && !ev.Alt && ev.Code == "Digit1":
		return Shortcut{Action: ActZoomFit}
	case noMod && ev.Shift && !ev.Alt && ev.Code == "Digit0":
		return Shortcut{Action: ActZoom100}
	case noMod && ev.Shift && !ev.Alt && ev.Code == "Digit2":
		return Shortcut{Action: ActZoomSelection}
	// Align (Alt+A/H/D left, center, right; Alt+W/V/S top, middle, bottom) and distribute
	// (Alt+Shift+H / V), as Figma.
	case noMod && ev.Alt && ev.Shift && ev.Code == "KeyH":
		return Shortcut{Action: ActDistributeH}
	case noMod && ev.Alt && ev.Shift && ev.Code == "KeyV":
		return Shortcut{Action: ActDistributeV}
	case noMod && ev.Alt && !ev.Shift && isAlign:
		return Shortcut{Action: ActAlign, Align: al}
	case noMod && (key == "delete" || key == "backspace"):
		return Shortcut{Action: ActDelete}
	case noMod && key == "escape":
		return Shortcut{Action: ActDeselect}
	case noMod && !ev.Alt && strings.HasPrefix(key, "arrow"):
		step := float64(nudgeStep)
		if ev.Shift {
			step = nudgeShiftStep
		}
		switch key {
		case "arrowleft":
			return Shortcut{Action: ActNudge, DX: -step}
		case "arrowright":
			return Shortcut{Action: ActNudge, DX: step}
		case "arrowup":
			return Shortcut{Action: ActNudge, DY: -step}
		case "arrowdown":
			return Shortcut{Action: ActNudge, DY: step}
		}
	}
	return Shortcut{}
}

// Run performs a shortcut on the editor; it reports whether the key was used (the caller
// then prevents the browser's default, e.g. Mod+D bookmarking).
func (e *Editor) Run(s Shortcut) bool {
	switch s.Action {
	case ActUndo:
		e.Undo()
	case ActRedo:
		e.Redo()
	case ActDelete:
		_ = e.Delete()
	case ActDuplicate:
		_ = e.Duplicate()
	case ActBringForward:
		_ = e.BringForward()
	case ActSendBackward:
		_ = e.SendBackward()
	case ActSelectAll:
		e.SelectAll()
	case ActDeselect:
		e.Deselect()
	case ActToggleHidden:
		_ = e.ToggleHiddenSelected()
	case ActToggleLocked:
		_ = e.ToggleLockedSelected()
	case ActNudge:
		_ = e.Nudge(s.DX, s.DY)
	case ActAlign:
		_ = e.Align(s.Align)
	case ActDistributeH:
		_ = e.Distribute(true)
	case ActDistributeV:
		_ = e.Distribute(false)
	default:
		return false
	}
	return true
}
