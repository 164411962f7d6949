// Package media checks uploads with ffprobe and cuts covers with ffmpeg,
// within bounds: every run has a deadline, a memory cap and a place in a
// fixed pool of workers, and a file is judged on its container and declared
// streams before anything is decoded (docs/SECURITY.md, Media bounds).
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// ErrNotVideo means the input is not a video this system accepts. Every
// refusal below wraps it, with a message safe to show the uploader.
var ErrNotVideo = errors.New("not a decodable video")

// A Rejection is a refusal of the file itself (errno 10007).
type Rejection struct {
	kind error
	msg  string
}

func (r *Rejection) Error() string { return r.msg }
func (r *Rejection) Unwrap() error { return r.kind }

// Reason returns the message of err's Rejection, or a generic one.
func Reason(err error) string {
	var r *Rejection
	if errors.As(err, &r) {
		return r.msg
	}
	return "the file is not a playable video"
}

type kind struct{ name string }

func (k *kind) Error() string { return k.name }
func (k *kind) Unwrap() error { return ErrNotVideo }

// The reasons for a refusal; errors.Is tells them apart, and each is also
// ErrNotVideo.
var (
	ErrContainer  error = &kind{"container not accepted"}
	ErrStructure  error = &kind{"bytes outside the container's structure"}
	ErrNoVideo    error = &kind{"no video stream"}
	ErrOneFrame   error = &kind{"fewer than two frames"}
	ErrTooLarge   error = &kind{"too many pixels"}
	ErrTooLong    error = &kind{"too long"}
	ErrTooSlow    error = &kind{"processing exceeded its deadline"}
	ErrUndecoded  error = &kind{"no decodable frame"}
	ErrBadCover   error = &kind{"the cover is not a JPEG"}
	errUnreadable error = &kind{"not readable"}
)

// ErrBusy means every worker stayed busy for the whole queue wait: the
// server is saturated, not the file at fault (errno 10008).
var ErrBusy = errors.New("media workers busy")

func reject(k error, format string, args ...any) error {
	return &Rejection{kind: k, msg: fmt.Sprintf(format, args...)}
}

// Check reports a one-line instruction when ffmpeg, ffprobe or prlimit (which
// caps each run's memory) is missing, so that publishing fails loudly at start
// instead of degrading silently.
func Check() error {
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not found: install it with `sudo apt-get install -y ffmpeg` (or run `make run`, which does)", bin)
		}
	}
	if _, err := exec.LookPath("prlimit"); err != nil {
		return errors.New("prlimit not found: install it with `sudo apt-get install -y util-linux`")
	}
	return nil
}

// Info is what Probe learns of a video.
type Info struct {
	Width, Height int
	Duration      float64
	// ContentType and Ext are those of the container, the ones it must be
	// stored and served with: video/mp4 .mp4, video/quicktime .mov, video/webm .webm.
	ContentType, Ext string
}

// defaultRunner serves the package-level Probe and Cover (seeding, demo).
var defaultRunner = sync.OnceValue(func() *Runner { return New(DefaultLimits()) })

// Default is the Runner of default.yaml's limits, one per process.
func Default() *Runner { return defaultRunner() }

// Probe checks src with the default limits; see Runner.Probe.
func Probe(ctx context.Context, src string) (Info, error) {
	return defaultRunner().Probe(ctx, src)
}

// Cover cuts src's cover with the default limits; see Runner.Cover.
func Cover(ctx context.Context, src, dst string, info Info) error {
	return defaultRunner().Cover(ctx, src, dst, info)
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
