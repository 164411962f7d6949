package app

import (
	"slices"
	"sort"
	"testing"
)

// The credential table derived from the registry allows exactly the pairs
// that internal/rpc hard-coded before the registry said who calls whom
// (service → its callers; "tiktok", the embedded mode, called everything).
func TestPolicyIsTodaysTable(t *testing.T) {
	want := map[string][]string{
		"user":     {"gateway", "message", "relation", "tiktok"},
		"publish":  {"comment", "favorite", "feed", "gateway", "media", "tiktok"},
		"feed":     {"gateway", "tiktok"},
		"favorite": {"gateway", "tiktok"},
		"comment":  {"gateway", "tiktok"},
		"relation": {"gateway", "tiktok"},
		"message":  {"gateway", "tiktok"},
	}
	got := map[string][]string{}
	for caller, callees := range Policy() {
		for _, svc := range callees {
			got[svc] = append(got[svc], caller)
		}
	}
	for svc := range got {
		sort.Strings(got[svc])
	}
	if len(got) != len(want) {
		t.Errorf("policy covers %d services, want %d: %v", len(got), len(want), got)
	}
	for svc, callers := range want {
		if !slices.Equal(got[svc], callers) {
			t.Errorf("%s may be called by %v, want %v", svc, got[svc], callers)
		}
	}
}

// Every role calls only services of the registry, each once, never itself.
func TestCallsNameServices(t *testing.T) {
	for caller, callees := range Policy() {
		seen := map[string]bool{}
		for _, svc := range callees {
			if _, ok := Lookup(svc); !ok || seen[svc] || svc == caller {
				t.Errorf("%s calls %q: not a service, twice, or itself", caller, svc)
			}
			seen[svc] = true
		}
	}
}
