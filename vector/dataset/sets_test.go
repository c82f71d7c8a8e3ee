package dataset

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// copyTree copies the files under src into dst (fixtures into a test's node_modules).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755)
		return os.WriteFile(filepath.Join(dst, rel), raw, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setsFixture is a node_modules folder with two Twemoji files, the Iconify fixtures (see
// testdata/iconify/README.md) and a small emojibase.
func setsFixture(t *testing.T) string {
	src := t.TempDir()
	svgDir := filepath.Join(src, "@twemoji", "svg")
	os.MkdirAll(svgDir, 0o755)
	for _, f := range []string{"1f600.svg", "1f44b-1f3fd.svg"} {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "twemoji", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(svgDir, f), raw, 0o644)
	}
	copyTree(t, filepath.Join("testdata", "iconify"), src)
	os.Remove(filepath.Join(src, "README.md"))
	eb := filepath.Join(src, "emojibase-data", "en")
	os.MkdirAll(eb, 0o755)
	os.WriteFile(filepath.Join(eb, "data.json"), []byte(`[
		{"label":"grinning face","hexcode":"1F600","emoji":"😀","tags":["face","grin"],"group":0,"subgroup":0},
		{"label":"waving hand","hexcode":"1F44B","emoji":"👋","tags":["wave"],"group":1,"subgroup":1,
		 "skins":[{"label":"waving hand: medium skin tone","hexcode":"1F44B-1F3FD","emoji":"👋🏽","group":1,"subgroup":1,"tone":3}]},
		{"label":"red heart","hexcode":"2764-FE0F","emoji":"❤️","tags":["heart"],"group":0,"subgroup":2},
		{"label":"automobile","hexcode":"1F697","emoji":"🚗","tags":["car"],"group":2,"subgroup":3},
		{"label":"star","hexcode":"2B50","emoji":"⭐","tags":["star"],"group":2,"subgroup":4}]`), 0o644)
	os.WriteFile(filepath.Join(eb, "messages.json"), []byte(`{"groups":[{"key":"smileys-emotion","order":0},{"key":"people-body","order":1},{"key":"travel-places","order":2}],
		"subgroups":[{"key":"face-smiling","order":0},{"key":"hand-fingers-open","order":1},{"key":"heart","order":2},{"key":"transport-ground","order":3},{"key":"sky-weather","order":4}]}`), 0o644)
	return src
}

func readMetas(t *testing.T, path string) []Meta {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Meta
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m Meta
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestBuildSets(t *testing.T) {
	src := setsFixture(t)
	out := t.TempDir()
	m, err := Build(Options{Src: src, Out: out, K: vector.DefaultK, N: vector.DefaultN, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// openmoji (share-alike) is not installed and not a default; streamline is a default that
	// the fixture lacks.
	if !reflect.DeepEqual(m.MissingSets, []string{"streamline"}) {
		t.Errorf("missing sets %v", m.MissingSets)
	}
	bySet := map[string]SetReport{}
	for _, s := range m.Sets {
		bySet[s.Name] = s
	}
	// Expected per set, from the fixture's contents (testdata/iconify/README.md):
	//   noto: "0" has no chars.json entry; grinning-face (a linearGradient fill, which the
	//   tokens carry as its mean colour), red heart and automobile are kept.
	//   emojione joins by name: a-button names no emoji of the fixture's emojibase, and
	//   one alias. fxemoji joins by dash-less name: "2hearts" matches nothing.
	want := map[string]struct {
		rows    map[string]int
		dropped map[string]int
	}{
		"twemoji":  {map[string]int{"train": 2, "val": 0}, map[string]int{}},
		"noto":     {map[string]int{"train": 2, "val": 1}, map[string]int{DropNoEmoji: 1}},
		"fluent":   {map[string]int{"train": 2, "val": 1}, map[string]int{}},
		"emojione": {map[string]int{"train": 2, "val": 1}, map[string]int{DropNoEmoji: 1, DropAlias: 1}},
		"fxemoji":  {map[string]int{"train": 1, "val": 1}, map[string]int{DropNoEmoji: 1}},
	}
	for name, w := range want {
		got, ok := bySet[name]
		if !ok {
			t.Errorf("set %s not built", name)
			continue
		}
		if !reflect.DeepEqual(got.Rows, w.rows) || !reflect.DeepEqual(got.Dropped, w.dropped) {
			t.Errorf("%s: rows %v dropped %v (examples %v), want rows %v dropped %v", name, got.Rows, got.Dropped, got.Examples, w.rows, w.dropped)
		}
	}
	if len(m.Sets) != len(want) {
		t.Errorf("%d sets built, want %d", len(m.Sets), len(want))
	}
	if ex := bySet["noto"].Examples[DropNoEmoji]; !reflect.DeepEqual(ex, []string{"0"}) {
		t.Errorf("noto no-match examples %v", ex)
	}

	// Joins and the split: every row carries its emoji's emojibase entry and its set's style;
	// 1F697 (fnv1a64 % 10 == 0) is validation in every style, nothing else is.
	train := readMetas(t, filepath.Join(out, "train.jsonl"))
	val := readMetas(t, filepath.Join(out, "val.jsonl"))
	trainBases := map[string]bool{}
	for _, mt := range train {
		trainBases[mt.Base] = true
	}
	for _, mt := range val {
		if trainBases[mt.Base] {
			t.Errorf("base %s in both splits (%s)", mt.Base, mt.File)
		}
		if mt.Base != "1F697" || mt.Label != "automobile" || mt.Subgroup != "transport-ground" {
			t.Errorf("validation row %+v", mt)
		}
	}
	if len(val) != 4 {
		t.Errorf("%d validation rows, want 4 (automobile in noto, fluent, emojione, fxemoji)", len(val))
	}
	files := map[string]Meta{}
	for _, mt := range append(train, val...) {
		files[mt.File] = mt
		if mt.Style != mt.Set || mt.Set == "" {
			t.Errorf("%s: set %q style %q", mt.File, mt.Set, mt.Style)
		}
	}
	for file, label := range map[string]string{
		"noto/red-heart": "red heart", "fluent/star": "star", "emojione/red-heart": "red heart",
		"fxemoji/star": "star", "fxemoji/automobile": "automobile", "1f44b-1f3fd.svg": "waving hand: medium skin tone",
	} {
		if mt, ok := files[file]; !ok || mt.Label != label {
			t.Errorf("%s: %+v, want label %q", file, mt, label)
		}
	}
	if h := files["noto/red-heart"]; h.Hexcode != "2764" || h.Group != "smileys-emotion" || !reflect.DeepEqual(h.Tags, []string{"heart"}) {
		t.Errorf("noto red heart joined as %+v", h)
	}
	// Iconify drawings keep their own viewBox (128 for noto): the tokens are in [-1,1]
	// anyway, so a decoded drawing spans most of the unit square.
	lic, err := os.ReadFile(filepath.Join(out, "LICENSES.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"CC-BY-4.0", "Apache-2.0", "MIT", "Google Inc.", "Microsoft Corporation", "Mozilla", "emojibase-data"} {
		if !strings.Contains(string(lic), s) {
			t.Errorf("LICENSES.md lacks %q", s)
		}
	}
	if strings.Contains(m.Attribution, "OpenMoji") {
		t.Error("openmoji attributed without being built")
	}
}

func TestBuildSetsChoice(t *testing.T) {
	src := setsFixture(t)
	m, err := Build(Options{Src: src, Out: t.TempDir(), K: vector.DefaultK, N: vector.DefaultN, Workers: 1, Sets: []string{"fluent"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sets) != 1 || m.Sets[0].Name != "fluent" || m.Splits["train"].Rows+m.Splits["val"].Rows != 3 {
		t.Errorf("fluent only: %+v %+v", m.Sets, m.Splits)
	}
	for _, sets := range [][]string{{"nosuchset"}, {"openmoji"}} {
		if _, err := Build(Options{Src: src, Out: t.TempDir(), K: vector.DefaultK, N: vector.DefaultN, Sets: sets}); err == nil {
			t.Errorf("sets %v: no error", sets)
		}
	}
}

func TestSlug(t *testing.T) {
	for label, want := range map[string][]string{
		"grinning face":               {"grinning-face"},
		"flag: Côte d’Ivoire":         {"flag-cote-divoire", "flag-for-cote-divoire"},
		"man’s shoe":                  {"mans-shoe"},
		"keycap: *":                   {"keycap"},
		"waving hand: dark skin tone": {"waving-hand-dark-skin-tone"},
	} {
		if got := nameKeys(label, false); !reflect.DeepEqual(got, want) {
			t.Errorf("nameKeys(%q) = %v, want %v", label, got, want)
		}
	}
	if got := nameKeys("alarm clock", true); !reflect.DeepEqual(got, []string{"alarmclock"}) {
		t.Errorf("no dashes: %v", got)
	}
}

func TestLoadIconifyByName(t *testing.T) {
	dir := t.TempDir()
	body := `{"body":"<path d='M0 0h9v9z'/>"}`
	os.WriteFile(filepath.Join(dir, "icons.json"), []byte(`{"width":48,"height":48,"icons":{
		"alarmclock":`+body+`,"astronaut-1":`+body+`,"astronaut-2":`+body+`,"astronaut":`+body+`,
		"1st-place-medal":`+body+`,"unknown-thing":`+body+`}}`), 0o644)
	meta := map[string]emojiInfo{
		"23F0": {Label: "alarm clock"}, "1F9D1-200D-1F680": {Label: "astronaut"}, "1F947": {Label: "1st place medal"},
	}
	// emojibase's github shortcode for 23F0 is alarm_clock: "alarmclock" joins through it
	// (the set is not NoDashes, so the label slug "alarm-clock" would not match).
	short := map[string]string{"alarmclock": "23F0"}
	rep := &SetReport{Dropped: map[string]int{}, Examples: map[string][]string{}}
	items, err := loadIconify(dir, Set{Name: "s", ByName: true}, 0, meta, short, rep)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range items {
		got[it.name] = it.hex
	}
	want := map[string]string{
		"s/alarmclock": "23F0", "s/astronaut": "1F9D1-200D-1F680", "s/astronaut-1": "1F9D1-200D-1F680",
		"s/astronaut-2": "1F9D1-200D-1F680", "s/1st-place-medal": "1F947",
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(rep.Dropped, map[string]int{DropNoEmoji: 1}) {
		t.Errorf("joined %v dropped %v, want %v and one no-match", got, rep.Dropped, want)
	}
	for name, base := range map[string]string{"astronaut-12": "astronaut", "1st-place-medal": "1st-place-medal", "2": "2", "a-": "a-", "-5": "-5"} {
		if got := variantBase(name); got != base {
			t.Errorf("variantBase(%q) = %q, want %q", name, got, base)
		}
	}
}

func TestLossyFeature(t *testing.T) {
	// Entries as package vector writes them (vector/svg.go).
	for u, want := range map[string]bool{
		"<text#caption> not drawn (element not supported)":                 true,
		"<image> not drawn (element not supported)":                        true,
		"<path#a> clip-path too complex to apply, drawn unclipped":         true,
		"<g> mask too complex to apply, drawn unmasked":                    true,
		`<path> paint "url(#g)" references no paint server, drawn as none`: true,
		"<g> group opacity approximated per shape":                         false,
		"<path> stroke-dasharray too fine or complex, drawn solid":         false,
		"<rect> pattern fill approximated by its mean color":               false,
	} {
		if got := lossyFeature(u); got != want {
			t.Errorf("lossyFeature(%q) = %v, want %v", u, got, want)
		}
	}
}
