// Package media checks uploads with ffprobe and cuts covers with ffmpeg.
package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// ErrNotVideo means the input is not a decodable video.
var ErrNotVideo = errors.New("not a decodable video")

// Check reports a one-line instruction when ffmpeg or ffprobe is missing, so
// that publishing fails loudly at start instead of degrading silently.
func Check() error {
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not found: install it with `sudo apt-get install -y ffmpeg` (or run `make run`, which does)", bin)
		}
	}
	return nil
}

type probeOut struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// Info is what Probe learns of a video.
type Info struct {
	Width, Height int
	Duration      float64
}

// Probe checks that src (a path or URL) is a video with a decodable video stream.
func Probe(ctx context.Context, src string) (Info, error) {
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=codec_type,width,height:format=format_name,duration", "-of", "json", src)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		return Info{}, ErrNotVideo
	}
	var p probeOut
	if err := json.Unmarshal(out.Bytes(), &p); err != nil || len(p.Streams) == 0 {
		return Info{}, ErrNotVideo
	}
	s := p.Streams[0]
	name := p.Format.FormatName
	// Still images probe as a one-frame "video"; they are not videos.
	if s.CodecType != "video" || s.Width <= 0 || s.Height <= 0 || name == "image2" ||
		strings.HasSuffix(name, "_pipe") || name == "gif" || name == "tty" {
		return Info{}, ErrNotVideo
	}
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	if d <= 0 {
		return Info{}, ErrNotVideo
	}
	return Info{Width: s.Width, Height: s.Height, Duration: d}, nil
}

// Cover writes a JPEG frame of src to dst. It seeks a little into the video
// because first frames are often black; decoding a frame also proves the
// stream is decodable, not merely well-labelled.
func Cover(ctx context.Context, src, dst string, info Info) error {
	at := info.Duration / 3
	if at > 1 {
		at = 1
	}
	// One decoding thread: a single frame needs no more, and it keeps the
	// child's memory small and independent of the video's size.
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1", "-ss", strconv.FormatFloat(at, 'f', 3, 64),
		"-i", src, "-frames:v", "1", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", dst)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrNotVideo
	}
	return nil
}

// MakeSample renders a short H.264 test video into dst with ffmpeg's built-in
// sources; the demo set and tests use it. pattern is an lavfi source such as
// "testsrc2" or "mandelbrot".
func MakeSample(ctx context.Context, dst, pattern string, seconds int) error {
	src := fmt.Sprintf("%s=size=360x640:rate=25:duration=%d", pattern, seconds)
	switch pattern {
	case "mandelbrot":
		// Its default of 7189 iterations a pixel takes seconds a clip.
		src = "mandelbrot=size=360x640:rate=25:maxiter=200"
	case "life", "cellauto":
		src = fmt.Sprintf("%s=size=360x640:rate=25", pattern)
	}
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-y", "-v", "error",
		"-f", "lavfi", "-i", src,
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%d", seconds),
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-shortest", "-movflags", "+faststart", dst)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg sample: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
