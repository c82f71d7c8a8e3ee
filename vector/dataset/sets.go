package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Set is one source of emoji drawings: Twemoji's SVG files or an Iconify JSON icon set.
type Set struct {
	Name       string `json:"name"`    // the --sets name, e.g. "noto"
	Style      string `json:"style"`   // the style word captions carry, e.g. "noto"
	Package    string `json:"package"` // pinned npm package, name@version
	Dir        string `json:"-"`       // folder under node_modules
	License    string `json:"license"` // SPDX id
	LicenseURL string `json:"license_url"`
	Notice     string `json:"notice"` // attribution line that travels with the data and the weights
	// ByName: the set has no chars.json, so icons are joined to emojibase by name (the
	// icon name against the label slug, see slug).
	ByName bool `json:"join_by_name"`
	// NoDashes: icon names drop the dashes of the label slug (fxemoji's "alarmclock").
	NoDashes bool `json:"-"`
	// ShareAlike: the license makes anything trained on it share-alike; such a set is built
	// only when named in Options.Sets (never by default).
	ShareAlike bool `json:"share_alike"`
}

// Sets lists every source the builder knows, in build order. scripts/fetch-data.sh pins them.
var Sets = []Set{
	{Name: "twemoji", Style: "twemoji", Package: TwemojiPackage, Dir: "@twemoji/svg", License: "CC-BY-4.0",
		LicenseURL: "https://creativecommons.org/licenses/by/4.0/",
		Notice:     "Twemoji graphics (c) Twitter, Inc. and other contributors, CC-BY 4.0"},
	{Name: "noto", Style: "noto", Package: "@iconify-json/noto@1.2.9", Dir: "@iconify-json/noto", License: "Apache-2.0",
		LicenseURL: "https://github.com/googlefonts/noto-emoji/blob/main/svg/LICENSE",
		Notice:     "Noto Emoji (c) Google Inc., Apache License 2.0"},
	{Name: "fluent", Style: "fluent", Package: "@iconify-json/fluent-emoji-flat@1.2.6", Dir: "@iconify-json/fluent-emoji-flat",
		License: "MIT", LicenseURL: "https://github.com/microsoft/fluentui-emoji/blob/main/LICENSE",
		Notice: "Fluent Emoji (flat) (c) Microsoft Corporation, MIT License"},
	{Name: "emojione", Style: "emojione", Package: "@iconify-json/emojione@1.2.3", Dir: "@iconify-json/emojione",
		License: "CC-BY-4.0", LicenseURL: "https://creativecommons.org/licenses/by/4.0/", ByName: true,
		Notice: "Emoji One (EmojiTwo) graphics (c) Emoji One, CC-BY 4.0"},
	{Name: "fxemoji", Style: "fxemoji", Package: "@iconify-json/fxemoji@1.2.2", Dir: "@iconify-json/fxemoji",
		License: "Apache-2.0", LicenseURL: "https://mozilla.github.io/fxemoji/LICENSE.md", ByName: true, NoDashes: true,
		Notice: "FxEmoji (c) Mozilla, Apache License 2.0"},
	{Name: "streamline", Style: "streamline", Package: "@iconify-json/streamline-emojis@1.2.4", Dir: "@iconify-json/streamline-emojis",
		License: "CC-BY-4.0", LicenseURL: "https://creativecommons.org/licenses/by/4.0/", ByName: true,
		Notice: "Streamline Emojis (c) Streamline (webalys), CC-BY 4.0"},
	{Name: "openmoji", Style: "openmoji", Package: "@iconify-json/openmoji@1.2.29", Dir: "@iconify-json/openmoji",
		License: "CC-BY-SA-4.0", LicenseURL: "https://creativecommons.org/licenses/by-sa/4.0/", ShareAlike: true,
		Notice: "OpenMoji (c) HfG Schwaebisch Gmuend and contributors, CC-BY-SA 4.0 (share-alike)"},
}

// ErrIconSet: an Iconify set's icons.json or chars.json is not what the format says.
var ErrIconSet = errors.New("dataset: malformed Iconify set")

// Drop reasons (SetReport.Dropped keys).
const (
	DropNoEmoji     = "no_emoji_match"  // icon not joined to an emojibase entry (no chars.json entry / name match)
	DropDuplicate   = "duplicate_emoji" // a second icon of the same set for the same code points
	DropAlias       = "alias"           // Iconify alias of another icon (same drawing, maybe flipped)
	DropParse       = "parse_error"     // vector.ParseSVG failed
	DropEmpty       = "no_layers"       // parsed, but nothing is painted
	DropNotFitting  = "too_many_slots"  // needs more than K slots
	DropDetokenize  = "detokenize_error"
	dropLossyPrefix = "unsupported: " // followed by the vector.Document.Unsupported entry
)

// lossyFeature reports whether a vector.Document.Unsupported entry ("<elem#id> what") says
// that whole shapes are lost or drawn wrong (not drawn, drawn unclipped or unmasked, a paint
// drawn as none): such drawings would teach the model a broken picture, so they are dropped
// (counted per entry). Approximations that keep the shapes (a gradient reduced to its mean
// colour in the tokens, group opacity per shape, a dash pattern drawn solid) are kept.
func lossyFeature(u string) bool {
	for _, p := range []string{"not drawn", "drawn unclipped", "drawn unmasked", "drawn as none"} {
		if strings.Contains(u, p) {
			return true
		}
	}
	return false
}

// SetReport is one set's line in the manifest: what it gave and what was dropped, and why.
type SetReport struct {
	Set
	Icons    int                 `json:"icons"` // drawings (and aliases) the package holds
	Joined   int                 `json:"joined_to_emoji"`
	Rows     map[string]int      `json:"rows"`             // per split
	Dropped  map[string]int      `json:"dropped"`          // reason → count
	Examples map[string][]string `json:"dropped_examples"` // reason → up to 5 icon names
	MeanIoU  float64             `json:"mean_iou_kept"`    // round-trip layer IoU over kept drawings
}

func (r *SetReport) drop(reason, name string) {
	r.Dropped[reason]++
	if len(r.Examples[reason]) < 5 {
		r.Examples[reason] = append(r.Examples[reason], name)
	}
}

// item is one drawing to process: its set, name, code points (normHex) and SVG text.
type item struct {
	set  int // index into the build's sets
	name string
	hex  string
	svg  []byte
	path string // file to read when svg is nil (Twemoji)
}

// slug is an emojibase label as Iconify names icons: lower-case, apostrophes and
// quotation marks removed, other runs of non-letters/digits turned into one "-".
func slug(label string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(label) {
		switch {
		case r == '\'' || r == '’' || r == '“' || r == '”' || r == '"':
			continue
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case r > 127:
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(foldLatin(r))
		default:
			dash = true
		}
	}
	return b.String()
}

// foldLatin maps the accented letters emoji names use (Côte, Curaçao, Åland, piñata, ...) to
// plain ASCII.
func foldLatin(r rune) rune {
	const from, to = "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ", "aaaaaaceeeeiiiinoooooouuuuyy"
	fr := []rune(from)
	for i, f := range fr {
		if f == r {
			return rune(to[i])
		}
	}
	return r
}

// nameKeys are the names an emojibase label may have in a set that joins by name.
func nameKeys(label string, noDashes bool) []string {
	s := slug(label)
	keys := []string{s}
	if strings.HasPrefix(s, "flag-") { // emojione: "flag-for-croatia"
		keys = append(keys, "flag-for-"+strings.TrimPrefix(s, "flag-"))
	}
	if noDashes {
		for i, k := range keys {
			keys[i] = strings.ReplaceAll(k, "-", "")
		}
	}
	return keys
}

type iconifyIcon struct {
	Body   string   `json:"body"`
	Width  *float64 `json:"width"`
	Height *float64 `json:"height"`
	Left   *float64 `json:"left"`
	Top    *float64 `json:"top"`
}

type iconifyJSON struct {
	Width   float64                    `json:"width"`
	Height  float64                    `json:"height"`
	Left    float64                    `json:"left"`
	Top     float64                    `json:"top"`
	Icons   map[string]iconifyIcon     `json:"icons"`
	Aliases map[string]json.RawMessage `json:"aliases"`
}

func or(p *float64, d float64) float64 {
	if p != nil {
		return *p
	}
	return d
}

// iconifySVG wraps an icon body in the <svg> element Iconify renders it in.
func iconifySVG(set *iconifyJSON, ic iconifyIcon) []byte {
	w, h := or(ic.Width, set.Width), or(ic.Height, set.Height)
	if w == 0 {
		w = 16 // Iconify's default icon size
	}
	if h == 0 {
		h = 16
	}
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="%g %g %g %g">%s</svg>`,
		or(ic.Left, set.Left), or(ic.Top, set.Top), w, h, ic.Body))
}

// loadIconify reads one Iconify set and joins its icons to emojibase entries (meta): through
// chars.json (code points → icon name) or, for sets without one, by name.
//
// By name, an icon joins the emoji whose label slug it is ("red-heart"), or whose emojibase
// shortcode it is with separators dropped (fxemoji "alarmclock", shortcode alarm_clock); a
// trailing "-1", "-2" marks one of several drawings of the same emoji (streamline) and each is
// kept.
func loadIconify(dir string, s Set, si int, meta map[string]emojiInfo, short map[string]string, rep *SetReport) ([]item, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "icons.json"))
	if err != nil {
		return nil, err
	}
	var set iconifyJSON
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%w: %s icons.json: %v", ErrIconSet, s.Name, err)
	}
	rep.Icons = len(set.Icons) + len(set.Aliases)
	for _, a := range sortedKeys(set.Aliases) {
		rep.drop(DropAlias, a)
	}
	hexOf := map[string]string{} // icon name → normHex
	if s.ByName {
		byKey := map[string]string{}
		for _, hx := range sortedKeys(meta) {
			for _, k := range nameKeys(meta[hx].Label, s.NoDashes) {
				if old, ok := byKey[k]; !ok || len(hx) < len(old) {
					byKey[k] = hx
				}
			}
		}
		for name := range set.Icons {
			base := variantBase(name)
			for _, k := range []string{name, base} {
				if s.NoDashes {
					k = strings.ReplaceAll(k, "-", "")
				}
				if hx, ok := byKey[k]; ok {
					hexOf[name] = hx
					break
				}
				if hx, ok := short[alnum(k)]; ok {
					hexOf[name] = hx
					break
				}
			}
		}
	} else {
		raw, err := os.ReadFile(filepath.Join(dir, "chars.json"))
		if err != nil {
			return nil, err
		}
		var chars map[string]string
		if err := json.Unmarshal(raw, &chars); err != nil {
			return nil, fmt.Errorf("%w: %s chars.json: %v", ErrIconSet, s.Name, err)
		}
		for _, cp := range sortedKeys(chars) {
			name, hx := chars[cp], normHex(cp)
			old, ok := hexOf[name]
			// Several sequences may name one icon (with and without FE0F, or a family and its
			// spelled-out ZWJ form): prefer one emojibase lists, then the shorter.
			_, known := meta[hx]
			_, oldKnown := meta[old]
			if !ok || (known && !oldKnown) || (known == oldKnown && len(hx) < len(old)) {
				hexOf[name] = hx
			}
		}
	}
	var items []item
	seen := map[string]string{}
	for _, name := range sortedKeys(set.Icons) {
		hx, ok := hexOf[name]
		if !ok {
			rep.drop(DropNoEmoji, name)
			continue
		}
		if first, dup := seen[hx]; dup && variantBase(name) == name {
			rep.drop(DropDuplicate, name+" (= "+first+")")
			continue
		}
		seen[hx] = name
		rep.Joined++
		items = append(items, item{set: si, name: s.Name + "/" + name, hex: hx, svg: iconifySVG(&set, set.Icons[name])})
	}
	return items, nil
}

// variantBase drops a trailing "-<digits>" (streamline's "astronaut-2"), except from names
// that are only digits or whose digits are part of the emoji's name ("1st-place-medal" keeps
// its digits: they lead).
func variantBase(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return name
	}
	for _, r := range name[i+1:] {
		if r < '0' || r > '9' {
			return name
		}
	}
	return name[:i]
}

// alnum keeps the letters and digits of a lower-case name (the shortcode join key).
func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// loadShortcodes reads emojibase-data's shortcode files (en/shortcodes/*.json, hexcode → one
// shortcode or a list): join key (alnum) → normHex, the shorter sequence winning a tie. Missing
// files are skipped (they only add joins).
func loadShortcodes(dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range []string{"emojibase", "github", "cldr", "iamcal", "joypixels", "emojibase-legacy"} {
		raw, err := os.ReadFile(filepath.Join(dir, "en", "shortcodes", name+".json"))
		if err != nil {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("emojibase shortcodes %s: %w", name, err)
		}
		for _, hx := range sortedKeys(m) {
			var codes []string
			var one string
			if json.Unmarshal(m[hx], &one) == nil {
				codes = []string{one}
			} else if json.Unmarshal(m[hx], &codes) != nil {
				return nil, fmt.Errorf("emojibase shortcodes %s: %s is neither a string nor a list", name, hx)
			}
			n := normHex(hx)
			for _, c := range codes {
				k := alnum(c)
				if old, ok := out[k]; k != "" && (!ok || len(n) < len(old)) {
					out[k] = n
				}
			}
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// resolveSets picks the sets to build: the named ones (each must be installed), or by default
// every installed set that is not share-alike.
func resolveSets(src string, names []string) ([]Set, []string, error) {
	byName := map[string]Set{}
	for _, s := range Sets {
		byName[s.Name] = s
	}
	installed := func(s Set) bool {
		_, err := os.Stat(filepath.Join(src, filepath.FromSlash(s.Dir)))
		return err == nil
	}
	var out []Set
	var missing []string
	if len(names) == 0 {
		for _, s := range Sets {
			switch {
			case s.ShareAlike:
			case installed(s):
				out = append(out, s)
			default:
				missing = append(missing, s.Name)
			}
		}
		return out, missing, nil
	}
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			return nil, nil, fmt.Errorf("dataset: unknown set %q (known: %s)", n, knownSets())
		}
		if !installed(s) {
			return nil, nil, fmt.Errorf("dataset: set %q (%s) is not installed under %s (run scripts/fetch-data.sh)", n, s.Package, src)
		}
		out = append(out, s)
	}
	return out, nil, nil
}

func knownSets() string {
	var n []string
	for _, s := range Sets {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
