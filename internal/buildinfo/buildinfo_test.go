package buildinfo

import (
	"runtime/debug"
	"testing"
)

func stub(t *testing.T, version, commit string, bi *debug.BuildInfo, ok bool) {
	t.Helper()
	oldV, oldC, oldR := Version, Commit, readBuildInfo
	t.Cleanup(func() { Version, Commit, readBuildInfo = oldV, oldC, oldR })
	Version, Commit = version, commit
	readBuildInfo = func() (*debug.BuildInfo, bool) { return bi, ok }
}

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "abc123"},
		{Key: "vcs.modified", Value: "false"},
	}}
	for _, tc := range []struct {
		name, version, commit string
		bi                    *debug.BuildInfo
		ok                    bool
		wantV, wantC          string
	}{
		{"ldflags win", "v1.2.3", "deadbeef", vcs, true, "v1.2.3", "deadbeef"},
		{"vcs fallback", "dev", "", vcs, true, "dev", "abc123"},
		{"no vcs settings", "dev", "", &debug.BuildInfo{}, true, "dev", ""},
		{"no build info", "v1", "", nil, false, "v1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub(t, tc.version, tc.commit, tc.bi, tc.ok)
			v, c := Get()
			if v != tc.wantV || c != tc.wantC {
				t.Fatalf("Get() = %q, %q; want %q, %q", v, c, tc.wantV, tc.wantC)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	if Version == "" {
		t.Fatal("Version is empty; its default is \"dev\"")
	}
	// The real build info: whatever it holds, Get must not panic and must
	// return the Version variable as is.
	if v, _ := Get(); v != Version {
		t.Fatalf("Get() version = %q, want %q", v, Version)
	}
}
