package webgpu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAdapterSoftware checks the rule 'auto' runtimes use to skip CPU
// emulators, on what real browsers report.
func TestAdapterSoftware(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    AdapterInfo
		want bool
	}{
		// Headless Chromium 156 on a machine without a GPU (seen in
		// navigator.gpu.requestAdapter().info, 2026-11-28).
		{"chromium swiftshader", AdapterInfo{Vendor: "google", Architecture: "swiftshader", IsFallbackAdapter: true}, true},
		{"swiftshader without the flag", AdapterInfo{Vendor: "google", Architecture: "swiftshader"}, true},
		{"fallback flag only", AdapterInfo{IsFallbackAdapter: true}, true},
		{"mesa llvmpipe", AdapterInfo{Vendor: "mesa", Description: "llvmpipe (LLVM 15.0.6, 256 bits)"}, true},
		{"mesa lavapipe", AdapterInfo{Architecture: "Lavapipe"}, true},
		{"windows warp", AdapterInfo{Vendor: "microsoft", Description: "Microsoft Basic Render Driver"}, true},
		{"nvidia", AdapterInfo{Vendor: "nvidia", Architecture: "hopper"}, false},
		{"apple", AdapterInfo{Vendor: "apple", Architecture: "metal-3"}, false},
		{"intel", AdapterInfo{Vendor: "intel", Architecture: "gen-12lp", Description: "Intel(R) UHD Graphics 770"}, false},
		{"nothing said", AdapterInfo{}, false}, // privacy-masked: trust it
	} {
		if got := tc.a.Software(); got != tc.want {
			t.Errorf("%s: %+v.Software() = %v, want %v", tc.name, tc.a, got, tc.want)
		}
	}
	if got := (AdapterInfo{Vendor: "google", Architecture: "swiftshader", IsFallbackAdapter: true}).String(); got != "google / swiftshader, fallback adapter" {
		t.Errorf("String() = %q", got)
	}
}

func TestTypedErrors(t *testing.T) {
	tl := fmt.Errorf("loading: %w", &TooLargeError{Tensor: "one row of F32 [3 2000]", Bytes: 8000, Limit: "maxBufferSize", Max: 4096})
	if !errors.Is(tl, ErrTooLarge) || errors.Is(tl, ErrDeviceLost) {
		t.Errorf("errors.Is on %v", tl)
	}
	if want := "webgpu: one row of F32 [3 2000] is 8000 bytes, over the device's maxBufferSize of 4096 bytes"; !strings.Contains(tl.Error(), want) {
		t.Errorf("%q lacks %q", tl, want)
	}
	oom := &TooLargeError{Tensor: "F32 [1000 1000]", Bytes: 4e6, Limit: "GPU memory", Detail: "out of memory"}
	if want := "webgpu: F32 [1000 1000] (4000000 bytes) does not fit in the device's GPU memory: out of memory"; oom.Error() != want {
		t.Errorf("%q, want %q", oom, want)
	}
	if got, want := (&TooLargeError{Tensor: "a buffer of the last commands", Limit: "GPU memory"}).Error(), "webgpu: a buffer of the last commands does not fit in the device's GPU memory"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	sw := fmt.Errorf("x: %w", &SoftwareAdapterError{Adapter: AdapterInfo{Vendor: "google", Architecture: "swiftshader", IsFallbackAdapter: true}})
	if !errors.Is(sw, ErrSoftwareAdapter) || !strings.Contains(sw.Error(), "swiftshader") {
		t.Errorf("software adapter error %v", sw)
	}
}
