package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestProbeAndCover(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	v := filepath.Join(dir, "v.mp4")
	if err := MakeSample(ctx, v, "testsrc2", 2); err != nil {
		t.Fatal(err)
	}
	info, err := Probe(ctx, v)
	if err != nil || info.Width != 360 || info.Height != 640 || info.Duration < 1.5 {
		t.Fatalf("probe: %+v %v", info, err)
	}
	jpg := filepath.Join(dir, "c.jpg")
	if err := Cover(ctx, v, jpg, info); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(jpg)
	if !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatal("cover is not a JPEG")
	}
	// A text file named .mp4, and a JPEG named .mp4, are not videos.
	txt := filepath.Join(dir, "t.mp4")
	os.WriteFile(txt, []byte("hello, I am not a video"), 0o644)
	if _, err := Probe(ctx, txt); !errors.Is(err, ErrNotVideo) {
		t.Fatalf("text accepted: %v", err)
	}
	img := filepath.Join(dir, "i.mp4")
	os.WriteFile(img, b, 0o644)
	if _, err := Probe(ctx, img); !errors.Is(err, ErrNotVideo) {
		t.Fatalf("jpeg accepted: %v", err)
	}
}
