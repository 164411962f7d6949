// Package image tests the tiktok OCI image (Containerfile) with podman: the
// image named by TIKTOK_TEST_IMAGE (e.g. localhost/tiktok:dev, built by
// `bash scripts/image.sh build`), skipped when it is unset. TIKTOK_TEST_COMMIT
// is the commit the image must say it was built from (git rev-parse HEAD):
//
//	TIKTOK_TEST_IMAGE=localhost/tiktok:dev TIKTOK_TEST_COMMIT=$(git rev-parse HEAD) \
//	  go test ./test/image/
package image

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tiktok/internal/testenv"
)

// image returns the image under test, skipping when none is named; podman
// missing is a skip too, a failure in CI (testenv.Need).
func image(t *testing.T) string {
	t.Helper()
	img := os.Getenv("TIKTOK_TEST_IMAGE")
	if img == "" {
		t.Skip("TIKTOK_TEST_IMAGE is not set (e.g. localhost/tiktok:dev, from scripts/image.sh build)")
	}
	_, err := exec.LookPath("podman")
	testenv.Need(t, "podman", err)
	if _, err := podman(t, "image", "exists", img); err != nil {
		t.Fatalf("image %s not found: %v", img, err)
	}
	return img
}

// podman runs podman with args, returning its trimmed combined output.
func podman(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "podman", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func mustPodman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := podman(t, args...)
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func label(t *testing.T, img, name string) string {
	t.Helper()
	return mustPodman(t, "image", "inspect", "--format", `{{index .Labels "`+name+`"}}`, img)
}

func TestRunsAsNonRoot(t *testing.T) {
	img := image(t)
	if u := mustPodman(t, "image", "inspect", "--format", "{{.Config.User}}", img); u != "10001:10001" {
		t.Errorf("image USER = %q, want 10001:10001", u)
	}
	if id := mustPodman(t, "run", "--rm", "--entrypoint", "id", img, "-u"); id != "10001" {
		t.Errorf("uid in the container = %q, want 10001", id)
	}
	if id := mustPodman(t, "run", "--rm", "--entrypoint", "id", img, "-g"); id != "10001" {
		t.Errorf("gid in the container = %q, want 10001", id)
	}
}

func TestVersionAndLabels(t *testing.T) {
	img := image(t)
	out := mustPodman(t, "run", "--rm", img, "version")
	// tiktok <version> commit <commit>
	f := strings.Fields(out)
	if len(f) != 4 || f[0] != "tiktok" || f[2] != "commit" {
		t.Fatalf("tiktok version printed %q, want \"tiktok <version> commit <commit>\"", out)
	}
	version, commit := f[1], f[3]
	if want := os.Getenv("TIKTOK_TEST_COMMIT"); want != "" && commit != want {
		t.Errorf("tiktok version says commit %q, want %q (TIKTOK_TEST_COMMIT)", commit, want)
	}
	if commit == "unknown" {
		t.Errorf("tiktok version knows no commit: %q", out)
	}
	if rev := label(t, img, "org.opencontainers.image.revision"); rev != commit {
		t.Errorf("label org.opencontainers.image.revision = %q, want %q (the binary's commit)", rev, commit)
	}
	if v := label(t, img, "org.opencontainers.image.version"); v != version {
		t.Errorf("label org.opencontainers.image.version = %q, want %q (the binary's version)", v, version)
	}
	for _, l := range []string{"org.opencontainers.image.title", "org.opencontainers.image.created"} {
		if label(t, img, l) == "" {
			t.Errorf("label %s is empty", l)
		}
	}
}

func TestMediaTools(t *testing.T) {
	img := image(t)
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		out, err := podman(t, "run", "--rm", "--entrypoint", tool, img, "-hide_banner", "-version")
		if err != nil || !strings.HasPrefix(out, tool+" version") {
			t.Errorf("%s -version in the image: %v\n%s", tool, err, out)
		}
	}
}

func TestReadOnlyRoot(t *testing.T) {
	img := image(t)
	out := mustPodman(t, "run", "--rm", "--read-only", "--tmpfs", "/tmp", img, "roles")
	roles := strings.Fields(out)
	for _, want := range []string{"user", "publish", "media"} {
		found := false
		for _, r := range roles {
			found = found || r == want
		}
		if !found {
			t.Errorf("tiktok roles on a read-only root printed %q, without %s", out, want)
		}
	}
	// The root really is read-only there, and /tmp writable.
	if out, err := podman(t, "run", "--rm", "--read-only", "--tmpfs", "/tmp", "--entrypoint", "touch", img, "/var/lib/tiktok/x"); err == nil {
		t.Errorf("wrote to a read-only root: %s", out)
	}
	mustPodman(t, "run", "--rm", "--read-only", "--tmpfs", "/tmp", "--entrypoint", "touch", img, "/tmp/x")
}
