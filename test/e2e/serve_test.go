package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
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

// TestServeDemoBeforeTraffic: requests that arrive while `tiktok serve` is
// still loading its demo set wait for it instead of seeing an empty feed, and
// a storm of logins in that window does not stop the server (both were seen
// against the camp's demo suite: an empty first page, then "demo set: rpc
// timeout" killing the process).
func TestServeDemoBeforeTraffic(t *testing.T) {
	embeddedOnly(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "tiktok")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tiktok")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--http", addr, "--data", filepath.Join(dir, "data"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 90 * time.Second}
	// Wait only until the port accepts connections: the demo set may still
	// be loading behind it.
	for time.Since(start) < 30*time.Second {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Post(base+"/douyin/user/login/?username=demo_alice&password=wrong-password", "", nil)
			if err == nil {
				res.Body.Close()
			}
		}()
	}
	res, err := client.Get(base + "/douyin/feed/")
	if err != nil {
		t.Fatalf("first feed: %v\n%s", err, out.String())
	}
	var feed struct {
		StatusCode int32            `json:"status_code"`
		VideoList  []map[string]any `json:"video_list"`
	}
	err = json.NewDecoder(res.Body).Decode(&feed)
	res.Body.Close()
	// Under the storm the page may be refused as overload (the logins' hashes
	// take the cores); what must never come is a successful empty page.
	if err != nil || (feed.StatusCode == 0 && len(feed.VideoList) < 6) {
		t.Fatalf("the first feed page has %d videos (status %d, %v): it was answered before the demo set loaded",
			len(feed.VideoList), feed.StatusCode, err)
	}
	t.Logf("first feed page answered %.1f s after start (status %d)", time.Since(start).Seconds(), feed.StatusCode)
	wg.Wait()
	select {
	case err := <-exited:
		t.Fatalf("serve exited during the login storm: %v\n%s", err, out.String())
	default:
	}
	// The hashes the storm queued may still be running: the feed comes back
	// once they are done, whole.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Second) {
		res, err = client.Get(base + "/douyin/feed/")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(res.Body).Decode(&feed)
		res.Body.Close()
		if err == nil && feed.StatusCode == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed did not recover after the storm: status %d, %v", feed.StatusCode, err)
		}
	}
	if len(feed.VideoList) < 6 {
		t.Fatalf("after the storm the feed has %d videos", len(feed.VideoList))
	}
	res, err = client.Post(base+"/douyin/user/login/?username=demo_alice&password=demo123456", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
