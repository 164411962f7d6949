// Package buildinfo says which build this binary is: the version and commit
// set at build time with
//
//	-ldflags "-X tiktok/internal/buildinfo.Version=... -X tiktok/internal/buildinfo.Commit=..."
//
// (the Containerfile passes both as build arguments), the commit falling back
// to the vcs.revision Go records when it builds inside a Git checkout.
package buildinfo

import "runtime/debug"

// Version and Commit are set at build time (-ldflags -X).
var (
	Version = "dev"
	Commit  = ""
)

// readBuildInfo is debug.ReadBuildInfo, replaced in tests.
var readBuildInfo = debug.ReadBuildInfo

// Get returns the build's version and commit: Commit when set, else the
// vcs.revision recorded by the Go toolchain, else "".
func Get() (version, commit string) {
	commit = Commit
	if commit == "" {
		if bi, ok := readBuildInfo(); ok && bi != nil {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					commit = s.Value
				}
			}
		}
	}
	return Version, commit
}
