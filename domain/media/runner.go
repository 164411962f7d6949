package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"tiktok/internal/config"
)

// Limits bound the media work; the media: section of default.yaml documents
// each one.
type Limits struct {
	// Timeout is the deadline of each ffprobe or ffmpeg run.
	Timeout time.Duration
	// Workers is how many runs go at once (0: one per core); Queue how many
	// jobs may wait for one, each at most QueueWait, before ErrBusy.
	Workers   int
	Queue     int
	QueueWait time.Duration
	// MemoryBytes caps each run's address space (prlimit --as); 0: no cap.
	MemoryBytes int64
	// MaxSide and MaxPixels bound the video's width and height, and their
	// product; MaxDuration its length.
	MaxSide     int
	MaxPixels   int64
	MaxDuration time.Duration
}

// DefaultLimits are default.yaml's values.
func DefaultLimits() Limits {
	return Limits{Timeout: 30 * time.Second, Queue: 64, QueueWait: 10 * time.Second,
		MemoryBytes: 1 << 30, MaxSide: 4096, MaxPixels: 4096 * 4096, MaxDuration: 10 * time.Minute}
}

// LimitsFrom reads the media: section of c. Zero bounds take the defaults,
// so none can be switched off by omission; memory_bytes 0 is the explicit
// opt-out of the cap (for a host without prlimit).
func LimitsFrom(c *config.Config) Limits {
	m, d := c.Media, DefaultLimits()
	l := Limits{Timeout: m.Timeout, Workers: m.Workers, Queue: m.Queue, QueueWait: m.QueueWait,
		MemoryBytes: m.MemoryBytes, MaxSide: m.MaxSide, MaxPixels: m.MaxPixels, MaxDuration: m.MaxDuration}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.MaxSide <= 0 {
		l.MaxSide = d.MaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = d.MaxDuration
	}
	if l.MemoryBytes < 0 {
		l.MemoryBytes = d.MemoryBytes
	}
	return l
}

// Runner runs ffprobe and ffmpeg within its Limits. It is safe for
// concurrent use; one per process shares the pool.
type Runner struct {
	lim     Limits
	slots   chan struct{}
	waiting atomic.Int64
	peakRSS atomic.Int64
}

// New returns a Runner with its own pool of l.Workers.
func New(l Limits) *Runner {
	if l.Workers <= 0 {
		l.Workers = runtime.NumCPU()
	}
	if l.Queue < 0 {
		l.Queue = 0
	}
	return &Runner{lim: l, slots: make(chan struct{}, l.Workers)}
}

// Limits returns the limits in force (Workers resolved).
func (r *Runner) Limits() Limits { return r.lim }

// PeakRSS is the largest resident memory, in bytes, any run of r reached
// (sampled every peakEvery).
func (r *Runner) PeakRSS() int64 { return r.peakRSS.Load() }

// processPeakRSS is PeakRSS over every Runner of the process.
var processPeakRSS atomic.Int64

// PeakRSS is the largest resident memory, in bytes, any probe or cover run
// of this process reached (the end-to-end tests read it; transcodes, a
// heavier kind of work under their own cap, are not counted).
func PeakRSS() int64 { return processPeakRSS.Load() }

// raise lifts a high-water mark to v.
func raise(m *atomic.Int64, v int64) {
	for old := m.Load(); v > old && !m.CompareAndSwap(old, v); old = m.Load() {
	}
}

// acquire takes a worker slot: at once if one is free, else after queueing
// (at most Queue jobs, each at most QueueWait), else ErrBusy.
func (r *Runner) acquire(ctx context.Context) (func(), error) {
	release := func() { <-r.slots }
	select {
	case r.slots <- struct{}{}:
		return release, nil
	default:
	}
	if r.waiting.Add(1) > int64(r.lim.Queue) {
		r.waiting.Add(-1)
		return nil, ErrBusy
	}
	defer r.waiting.Add(-1)
	t := time.NewTimer(r.lim.QueueWait)
	defer t.Stop()
	select {
	case r.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// outputCap bounds what a run may print: ffprobe's JSON for one stream is
// a few hundred bytes.
const outputCap = 1 << 20

// errFailed is a run that exited non-zero (or printed too much).
var errFailed = errors.New("media tool failed")

// run executes bin with args in a worker slot, under the deadline and the
// memory cap, and returns its standard output.
func (r *Runner) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	return r.runWith(ctx, r.lim.Timeout, r.lim.MemoryBytes, true, bin, args...)
}

// runWith is run with its own deadline and memory cap (a transcode's);
// checks says it is a probe or cover, whose peak PeakRSS reports.
func (r *Runner) runWith(ctx context.Context, timeout time.Duration, memoryBytes int64, checks bool, bin string, args ...string) ([]byte, error) {
	release, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	argv := append([]string{bin}, args...)
	if memoryBytes > 0 {
		// prlimit sets RLIMIT_AS and execs the tool in its place, so the cap
		// holds from the tool's first instruction and the deadline's kill
		// reaches the tool itself.
		argv = append([]string{"prlimit", "--as=" + strconv.FormatInt(memoryBytes, 10), "--"}, argv...)
	}
	cmd := exec.CommandContext(rctx, argv[0], argv[1:]...)
	// Every thread would otherwise get its own 64 MiB malloc arena of
	// address space, which the cap counts.
	cmd.Env = append(os.Environ(), "MALLOC_ARENA_MAX=2")
	// A worker killed mid-run takes its ffmpeg with it (prlimit's exec
	// keeps the signal), instead of leaving it to burn CPU for minutes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, stderr := &capped{max: outputCap}, &capped{max: 4096}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	if err = cmd.Start(); err == nil {
		stop := make(chan struct{})
		peak := watchPeak(cmd.Process.Pid, stop)
		err = cmd.Wait()
		close(stop)
		rss := <-peak
		raise(&r.peakRSS, rss)
		if checks {
			raise(&processPeakRSS, rss)
		}
	}
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case rctx.Err() != nil:
		return nil, reject(ErrTooSlow, "the video took longer than %s to process", timeout)
	case errors.Is(err, exec.ErrNotFound):
		return nil, err // a broken install, not a bad file: fail loudly
	case err != nil || stdout.over:
		return nil, fmt.Errorf("%w: %s: %v: %s", errFailed, bin, err, bytes.TrimSpace(stderr.buf.Bytes()))
	}
	return stdout.buf.Bytes(), nil
}

// peakEvery is how often watchPeak samples: a decode that could matter
// (hundreds of MB) takes far longer than this.
const peakEvery = 10 * time.Millisecond

// watchPeak samples the peak resident memory (VmHWM) of process pid until
// stop closes, then sends the highest seen. The child's rusage cannot tell
// it: Go starts children with vfork, and the kernel counts the parent's
// peak into a vforked child's maxrss, so a large server would see its own
// size in every run.
func watchPeak(pid int, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		path, peak := "/proc/"+strconv.Itoa(pid)+"/status", int64(0)
		t := time.NewTicker(peakEvery)
		defer t.Stop()
		for {
			if b, err := os.ReadFile(path); err == nil {
				if _, rest, ok := bytes.Cut(b, []byte("VmHWM:")); ok {
					f := bytes.Fields(rest)
					if len(f) > 0 {
						if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil && kb<<10 > peak {
							peak = kb << 10
						}
					}
				}
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// capped keeps the first max bytes written to it and notes the overflow.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

type probeOut struct {
	Streams []struct {
		CodecType     string `json:"codec_type"`
		CodecName     string `json:"codec_name"`
		Width         int    `json:"width"`
		Height        int    `json:"height"`
		NbFrames      string `json:"nb_frames"`
		NbReadPackets string `json:"nb_read_packets"`
		Duration      string `json:"duration"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// Probe decides whether src (a path or URL) is a video this system accepts,
// from its bytes and its declared streams alone: nothing is decoded, so a
// file declaring 16000x16000 costs a header read. Refusals are Rejections;
// a saturated pool is ErrBusy.
func (r *Runner) Probe(ctx context.Context, src string) (Info, error) {
	sctx, cancel := context.WithTimeout(ctx, r.lim.Timeout)
	c, err := sniff(sctx, src)
	slow := sctx.Err() != nil
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return Info{}, ctx.Err()
		}
		if slow {
			return Info{}, reject(ErrTooSlow, "the video took longer than %s to read", r.lim.Timeout)
		}
		return Info{}, err
	}
	// -nofind_stream_info: the container's declarations only, no decoder
	// opened. V:0 is the first video stream that is not an attached picture
	// (cover art); its first two packets are read (demuxed, not decoded) to
	// count frames where the container does not declare them (WebM).
	out, err := r.run(ctx, "ffprobe", "-v", "error", "-nofind_stream_info",
		"-select_streams", "V:0", "-count_packets", "-read_intervals", "%+#2",
		"-show_entries", "stream=codec_type,codec_name,width,height,nb_frames,nb_read_packets,duration:format=format_name,duration",
		"-of", "json", src)
	if errors.Is(err, errFailed) {
		return Info{}, reject(errUnreadable, "the file is not a playable video")
	} else if err != nil {
		return Info{}, err
	}
	var p probeOut
	if err := json.Unmarshal(out, &p); err != nil {
		return Info{}, reject(errUnreadable, "the file is not a playable video")
	}
	if p.Format.FormatName != c.formatName {
		return Info{}, reject(ErrContainer, "the file is not a playable %s video", c.name)
	}
	if len(p.Streams) == 0 || p.Streams[0].CodecType != "video" {
		return Info{}, reject(ErrNoVideo, "the file has no video stream (audio or a still picture is not a video)")
	}
	s := p.Streams[0]
	if s.Width <= 0 || s.Height <= 0 {
		return Info{}, reject(ErrNoVideo, "the video stream declares no size")
	}
	if s.Width > r.lim.MaxSide || s.Height > r.lim.MaxSide || int64(s.Width)*int64(s.Height) > r.lim.MaxPixels {
		return Info{}, reject(ErrTooLarge, "the video is %dx%d, over the limit of %d pixels a side and %d in all",
			s.Width, s.Height, r.lim.MaxSide, r.lim.MaxPixels)
	}
	if c.codecs != nil && !c.codecs[s.CodecName] {
		return Info{}, reject(ErrContainer, "a WebM video must be VP8, VP9 or AV1")
	}
	// The longer of the container's and the stream's durations: either may
	// be what a player believes.
	d := math.Max(seconds(p.Format.Duration), seconds(s.Duration))
	if d <= 0 {
		return Info{}, reject(ErrNoVideo, "the video declares no duration")
	}
	if d > r.lim.MaxDuration.Seconds() {
		return Info{}, reject(ErrTooLong, "the video lasts %.0f s, over the limit of %s", d, r.lim.MaxDuration)
	}
	if n, err := strconv.Atoi(s.NbReadPackets); err != nil || n < 2 {
		return Info{}, reject(ErrOneFrame, "the video has a single frame (a still picture is not a video)")
	}
	if n, err := strconv.Atoi(s.NbFrames); err == nil && n < 2 {
		return Info{}, reject(ErrOneFrame, "the video has a single frame (a still picture is not a video)")
	}
	return Info{Width: s.Width, Height: s.Height, Duration: d, ContentType: c.contentType, Ext: c.ext}, nil
}

func seconds(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// minCover is the least a real JPEG can weigh: ffmpeg's headers alone
// (quantisation and Huffman tables) are about 600 bytes.
const minCover = 256

// Cover writes a JPEG frame of src (as Probe accepted it) to dst. It seeks a
// little into the video because first frames are often black; decoding a
// frame also proves the stream is decodable, not merely well-labelled. The
// decoder refuses frames above MaxPixels whatever the container declared,
// and the result must be a real JPEG, else a Rejection.
func (r *Runner) Cover(ctx context.Context, src, dst string, info Info) error {
	at := info.Duration / 3
	if at > 1 {
		at = 1
	}
	err := r.cover(ctx, src, dst, at)
	if st, serr := os.Stat(dst); err == nil && at > 0 && (serr != nil || st.Size() == 0) {
		// The seek passed the last frame (timestamps that start late):
		// ffmpeg writes nothing and succeeds. Take the first frame instead.
		err = r.cover(ctx, src, dst, 0)
	}
	if errors.Is(err, errFailed) {
		return reject(ErrUndecoded, "the video could not be decoded")
	} else if err != nil {
		return err
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		return err
	}
	return checkJPEG(b)
}

func (r *Runner) cover(ctx context.Context, src, dst string, at float64) error {
	maxPixels := strconv.FormatInt(r.lim.MaxPixels, 10)
	// One thread everywhere: a single frame needs no more, and each thread
	// would reserve address space under the cap. -max_pixels makes the
	// decoders (also those that probe other streams) refuse a frame larger
	// than the limit, in case the bitstream contradicts the container.
	_, err := r.run(ctx, "ffmpeg", "-nostdin", "-y", "-v", "error", "-threads", "1", "-filter_threads", "1",
		"-max_pixels", maxPixels, "-ss", strconv.FormatFloat(at, 'f', 3, 64), "-i", src,
		"-map", "0:V:0", "-frames:v", "1", "-threads", "1", "-q:v", "3", "-update", "1", "-f", "image2", "-c:v", "mjpeg", dst)
	return err
}

// checkJPEG accepts b only if it is a whole, non-trivial JPEG image: start
// and end markers, a readable frame header with a size.
func checkJPEG(b []byte) error {
	if len(b) < minCover || !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) || !bytes.HasSuffix(b, []byte{0xFF, 0xD9}) {
		return reject(ErrBadCover, "no cover could be taken from the video")
	}
	if c, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil || c.Width <= 0 || c.Height <= 0 {
		return reject(ErrBadCover, "no cover could be taken from the video")
	}
	return nil
}
