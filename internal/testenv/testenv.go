// Package testenv decides what a test does when a server it needs (Redis,
// MariaDB) is not reachable: outside CI it skips, so a quick local run works
// on a bare machine; in CI (CI=true) it fails, because there a skip would
// hide a whole package that nobody tested.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI, where every dependency must be up.
func InCI() bool { return os.Getenv("CI") == "true" || os.Getenv("CI") == "1" }

// Need stops t when err says the server named what is unreachable: a failure
// in CI, a skip elsewhere.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%s is required in CI (CI=true) and is not reachable: %v", what, err)
	}
	t.Skipf("%s not reachable (%v); CI=true makes this a failure", what, err)
}
