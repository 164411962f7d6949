package e2e

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// TestServeCommand runs the real binary as the README does: `tiktok serve`
// on a fresh data folder must print its URL and serve the demo feed, whose
// videos stream with Range and whose covers are JPEGs; SIGINT stops it cleanly.
func TestServeCommand(t *testing.T) {
	embeddedOnly(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "tiktok")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tiktok")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`serving on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-urlc:
	case <-time.After(90 * time.Second):
		t.Fatalf("no URL printed; stderr:\n%s", stderr.String())
	}
	e := &env{t: t, url: base}
	vs := e.must(e.get("/douyin/feed/", kv())).list("video_list")
	if len(vs) < 6 {
		t.Fatalf("demo feed has %d videos", len(vs))
	}
	v := vs[0].(map[string]any)
	checkVideo(t, v)
	req, _ := http.NewRequest("GET", v["play_url"].(string), nil)
	req.Header.Set("Range", "bytes=100-199")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 206 || len(b) != 100 {
		t.Fatalf("range on demo video: %d, %d bytes", res.StatusCode, len(b))
	}
	res, err = http.Get(v["cover_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatal("demo cover is not a JPEG")
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of SIGINT")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "jwt.key")); err != nil {
		t.Fatal("the embedded mode keeps its generated key in the data folder")
	}
}
