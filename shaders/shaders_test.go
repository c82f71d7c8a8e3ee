package shaders

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// variants lists every key the WebGPU backend can ask for.
func variants() []Key {
	var keys []Key
	for _, name := range Names() {
		switch name {
		case "matmul", "matvec", "matvec3", "embedding":
			for _, w := range []string{WF32, WF16, WF16P, WBF16, WQ8, WQ4} {
				for _, v4 := range []bool{false, true} {
					if name == "embedding" && v4 {
						continue
					}
					k := Key{Kernel: name, W: w, Vec4: v4}
					keys = append(keys, k)
					if name == "matvec" {
						keys = append(keys,
							Key{Kernel: name, W: w, Vec4: v4, Bias: true},
							Key{Kernel: name, W: w, Vec4: v4, Norm: true},
							Key{Kernel: name, W: w, Vec4: v4, Norm: true, SiLU: true},
							Key{Kernel: name, W: w, Vec4: v4, Accumulate: true})
					}
				}
			}
		case "add", "silumul", "gelumul":
			for ip := 0; ip <= 2; ip++ {
				keys = append(keys, Key{Kernel: name, InPlace: ip})
			}
		case "attention":
			keys = append(keys, Key{Kernel: name}, Key{Kernel: name, Vec4: true})
		case "gelu", "rmsnorm", "layernorm", "addscaled":
			for ip := 0; ip <= 1; ip++ {
				keys = append(keys, Key{Kernel: name, InPlace: ip})
			}
		default:
			keys = append(keys, Key{Kernel: name})
		}
	}
	return keys
}

var bindingRE = regexp.MustCompile(`@group\(0\) @binding\((\d+)\) var<(uniform|storage, read|storage, read_write)>`)

// TestVariantsMatchLayouts renders every variant and checks what the GPU
// would otherwise reject at pipeline creation: each declared binding exists
// in the kernel's layout with the same access mode, bindings are unique,
// there is one entry point, and `enable f16` appears exactly for WF16.
func TestVariantsMatchLayouts(t *testing.T) {
	for _, k := range variants() {
		t.Run(k.String(), func(t *testing.T) {
			src, err := Source(k)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(src, "@compute") != 1 || !strings.Contains(src, "fn main(") {
				t.Fatalf("want one @compute entry point main:\n%s", src)
			}
			if got, want := strings.Contains(src, "enable f16;"), k.W == WF16; got != want {
				t.Errorf("enable f16 present=%v, want %v", got, want)
			}
			if strings.Contains(src, "{{") {
				t.Errorf("unrendered template action")
			}
			layout := Kernels[k.Kernel]
			seen := map[int]bool{}
			for _, m := range bindingRE.FindAllStringSubmatch(src, -1) {
				b, _ := strconv.Atoi(m[1])
				if seen[b] {
					t.Errorf("binding %d declared twice", b)
				}
				seen[b] = true
				if b >= len(layout) {
					t.Errorf("binding %d outside layout of %d entries", b, len(layout))
					continue
				}
				want := map[Binding]string{Uniform: "uniform", ReadOnly: "storage, read", ReadWrite: "storage, read_write"}[layout[b]]
				if m[2] != want {
					t.Errorf("binding %d is %q, layout says %q", b, m[2], want)
				}
			}
			if !seen[0] {
				t.Errorf("no parameter block at binding 0")
			}
		})
	}
}

func TestSourceErrors(t *testing.T) {
	tests := []struct {
		name string
		key  Key
	}{
		{"unknown kernel", Key{Kernel: "nope"}},
		{"unknown weight", Key{Kernel: "matmul", W: "f8"}},
	}
	for _, tc := range tests {
		if _, err := Source(tc.key); err == nil {
			t.Errorf("%s: want error", tc.name)
		}
	}
}

// TestWorkgroupMemory checks the 16 KiB workgroup-memory budget (Apple's
// maxComputeWorkgroupStorageSize) by summing the declared workgroup arrays.
func TestWorkgroupMemory(t *testing.T) {
	const limit = 16 << 10
	arrRE := regexp.MustCompile(`var<workgroup> \w+: (?:array<(vec4<f32>|f32|u32), (\d+)>|atomic<u32>|f32)`)
	for _, k := range variants() {
		src, err := Source(k)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, m := range arrRE.FindAllStringSubmatch(src, -1) {
			switch {
			case m[2] == "":
				total += 4
			case m[1] == "vec4<f32>":
				n, _ := strconv.Atoi(m[2])
				total += 16 * n
			default:
				n, _ := strconv.Atoi(m[2])
				total += 4 * n
			}
		}
		if total > limit {
			t.Errorf("%s uses %d bytes of workgroup memory, limit %d", k, total, limit)
		}
		if got := strings.Count(src, "var<workgroup>"); got != len(arrRE.FindAllString(src, -1)) {
			t.Errorf("%s: a workgroup variable the test cannot size", k)
		}
	}
}

// TestQuantParamWords: every kernel that reads weights declares qg and qrw,
// the quantized row layout the weights template reads as P.qg and P.qrw, at
// Params words QParamWord and QParamWord+1 (where the backend writes them),
// and its q8/q4 variants read the weight as u32 words (packed codes, no
// shader-f16 needed).
func TestQuantParamWords(t *testing.T) {
	paramsRE := regexp.MustCompile(`struct Params \{([^}]*)\}`)
	for _, k := range variants() {
		if k.W != WQ8 && k.W != WQ4 {
			continue
		}
		src, err := Source(k)
		if err != nil {
			t.Fatal(err)
		}
		m := paramsRE.FindStringSubmatch(src)
		if m == nil {
			t.Fatalf("%s: no Params struct", k)
		}
		var names []string
		for _, f := range strings.Split(m[1], ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			name, typ, _ := strings.Cut(f, ":")
			if typ = strings.TrimSpace(typ); typ != "u32" && typ != "f32" {
				t.Errorf("%s: Params field %q is not one 32-bit word", k, f)
			}
			names = append(names, strings.TrimSpace(name))
		}
		if len(names) < QParamWord+2 || names[QParamWord] != "qg" || names[QParamWord+1] != "qrw" {
			t.Errorf("%s: Params %v, want qg, qrw at words %d, %d", k, names, QParamWord, QParamWord+1)
		}
		if strings.Contains(src, "enable f16") || strings.Contains(src, "array<f16") {
			t.Errorf("%s: a quantized variant needs shader-f16", k)
		}
		if !regexp.MustCompile(`var<storage, read> (w|u|wq|wk|wv|table): array<u32>;`).MatchString(src) {
			t.Errorf("%s: quantized weight not declared as array<u32>", k)
		}
	}
}
