package media

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"tiktok/domain/media/mediatest"
)

// streamsOf is ffprobe's view of a file: each stream's codec, size and frame
// rate, and the order of the top-level boxes.
type probed struct {
	Streams []struct {
		CodecType  string `json:"codec_type"`
		CodecName  string `json:"codec_name"`
		PixFmt     string `json:"pix_fmt"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		AvgFrameRt string `json:"avg_frame_rate"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		BitRate    string `json:"bit_rate"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"stream=codec_type,codec_name,pix_fmt,width,height,avg_frame_rate:format=format_name,bit_rate", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func fps(rate string) float64 {
	n, d, _ := strings.Cut(rate, "/")
	a, _ := strconv.ParseFloat(n, 64)
	b, _ := strconv.ParseFloat(d, 64)
	if b == 0 {
		return 0
	}
	return a / b
}

// Every upload comes out H.264 (yuv420p) and AAC in an MP4 with its moov
// first, within the box of its own orientation, at most max_fps.
func TestTranscode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := New(DefaultLimits())
	o := DefaultOutput()
	for _, c := range []struct {
		name       string
		w, h, rate int
		wantW      int
		wantH      int
	}{
		{"landscape-1440p", 2560, 1440, 25, 1920, 1080},
		{"portrait-1440p", 1440, 2560, 25, 1080, 1920},
		{"small-odd", 321, 241, 25, 320, 240}, // never enlarged; sides made even
		{"60fps", 640, 360, 60, 640, 360},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := filepath.Join(dir, c.name+".mp4")
			if err := mediatest.Sized(ctx, src, c.w, c.h, c.rate, 1); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, c.name+"-out.mp4")
			if err := r.Transcode(ctx, src, dst, o); err != nil {
				t.Fatal(err)
			}
			p := ffprobe(t, dst)
			var v, a bool
			for _, s := range p.Streams {
				switch s.CodecType {
				case "video":
					v = true
					if s.CodecName != "h264" || s.PixFmt != "yuv420p" {
						t.Errorf("video %s %s", s.CodecName, s.PixFmt)
					}
					if s.Width > c.wantW+1 || s.Height > c.wantH+1 || s.Width < c.wantW-2 || s.Height < c.wantH-2 ||
						s.Width%2 != 0 || s.Height%2 != 0 {
						t.Errorf("%dx%d, want about %dx%d, even", s.Width, s.Height, c.wantW, c.wantH)
					}
					if f := fps(s.AvgFrameRt); f > float64(o.MaxFPS)+0.5 {
						t.Errorf("%.2f frames a second, over %d", f, o.MaxFPS)
					}
				case "audio":
					a = true
					if s.CodecName != "aac" {
						t.Errorf("audio %s", s.CodecName)
					}
				}
			}
			if !v || !a || !strings.Contains(p.Format.FormatName, "mp4") {
				t.Fatalf("streams %+v, format %s", p.Streams, p.Format.FormatName)
			}
			if err := checkFaststart(dst); err != nil {
				t.Fatal(err)
			}
			cover := filepath.Join(dir, c.name+".jpg")
			info, err := r.Probe(ctx, dst)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Cover(ctx, dst, cover, info); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A file whose headers pass but whose frames do not decode is the file's
// fault: a Rejection, from the transcode or from the cover of its output.
func TestTranscodeUndecodable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "zeros.mp4")
	if err := mediatest.Undecodable(ctx, src); err != nil {
		t.Fatal(err)
	}
	r := New(DefaultLimits())
	if _, err := r.Probe(ctx, src); err != nil {
		t.Fatalf("the probe should pass (it decodes nothing): %v", err)
	}
	dst := filepath.Join(dir, "out.mp4")
	err := r.Transcode(ctx, src, dst, DefaultOutput())
	if err == nil {
		var info Info
		if info, err = r.Probe(ctx, dst); err == nil {
			err = r.Cover(ctx, dst, filepath.Join(dir, "c.jpg"), info)
		}
	}
	if !errors.Is(err, ErrNotVideo) {
		t.Fatalf("got %v, want a rejection", err)
	}
}

func TestCheckFaststart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	late := filepath.Join(dir, "late.mp4")
	if err := mediatest.FFmpeg(ctx, late, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=1",
		"-c:v", "libx264", "-preset", "ultrafast"); err != nil {
		t.Fatal(err)
	}
	if err := checkFaststart(late); !errors.Is(err, ErrTranscode) {
		t.Fatalf("moov after mdat: %v", err)
	}
}
