package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"tiktok/internal/config"
)

// Output is what the media role makes of every upload (the transcode:
// section of default.yaml documents each field).
type Output struct {
	// MaxLong and MaxShort bound the long and the short side, in either
	// orientation (1920x1080 landscape, 1080x1920 portrait).
	MaxLong, MaxShort int
	MaxFPS            int
	CRF               int
	Preset            string
	VideoBitrate      int64 // bits/s, the encoder's VBV maxrate
	AudioBitrate      int64
	Threads           int
	// Timeout and MemoryBytes bound the transcode run, which is far longer
	// and larger than a probe.
	Timeout     time.Duration
	MemoryBytes int64
}

// DefaultOutput is default.yaml's transcode: section.
func DefaultOutput() Output {
	return Output{MaxLong: 1920, MaxShort: 1080, MaxFPS: 30, CRF: 23, Preset: "veryfast", VideoBitrate: 4_000_000,
		AudioBitrate: 128_000, Threads: 2, Timeout: 15 * time.Minute, MemoryBytes: 2 << 30}
}

// OutputFrom reads cfg's transcode: section; zero values take the defaults
// (memory_bytes 0 is the explicit opt-out of the cap, as media.memory_bytes).
func OutputFrom(cfg *config.Config) Output {
	t, d := cfg.Transcode, DefaultOutput()
	o := Output{MaxLong: t.MaxLong, MaxShort: t.MaxShort, MaxFPS: t.MaxFPS, CRF: t.CRF, Preset: t.Preset,
		VideoBitrate: t.VideoBitrate, AudioBitrate: t.AudioBitrate, Threads: t.Threads, Timeout: t.Timeout,
		MemoryBytes: t.MemoryBytes}
	pos := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pos(&o.MaxLong, d.MaxLong)
	pos(&o.MaxShort, d.MaxShort)
	pos(&o.MaxFPS, d.MaxFPS)
	pos(&o.CRF, d.CRF)
	pos(&o.Threads, d.Threads)
	if o.Preset == "" {
		o.Preset = d.Preset
	}
	if o.VideoBitrate <= 0 {
		o.VideoBitrate = d.VideoBitrate
	}
	if o.AudioBitrate <= 0 {
		o.AudioBitrate = d.AudioBitrate
	}
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.MemoryBytes < 0 {
		o.MemoryBytes = d.MemoryBytes
	}
	return o
}

// ErrTranscode is a file that passed the probe but could not be transcoded
// (a broken stream the header did not tell): a Rejection, the file's fault.
var ErrTranscode error = &kind{"could not be transcoded"}

// Transcode writes src (a path or URL, as Probe accepted it) to dst as an
// H.264 (yuv420p) and AAC MP4 with its moov box first (faststart, so players
// start before the whole file arrives), within o: the size fitted into the
// MaxLong x MaxShort box of the video's own orientation (never enlarged,
// aspect kept, sides even), at most MaxFPS frames a second, the bitrate
// capped. Only the first video stream and the first audio stream (if any)
// are kept, and no metadata (a phone's location, say). The run takes a
// worker slot, with o's deadline and memory cap; the decoder refuses frames
// above MaxPixels whatever the container declared.
func (r *Runner) Transcode(ctx context.Context, src, dst string, o Output) error {
	// The box is chosen on the frames as decoded (after any rotation the
	// file asks for), by expressions, not on the probe's declared size.
	scale := fmt.Sprintf("scale=w='if(gte(iw,ih),min(%[1]d,iw),min(%[2]d,iw))':h='if(gte(iw,ih),min(%[2]d,ih),min(%[1]d,ih))'"+
		":force_original_aspect_ratio=decrease:force_divisible_by=2", o.MaxLong, o.MaxShort)
	threads := strconv.Itoa(o.Threads)
	args := []string{"-nostdin", "-y", "-v", "error", "-threads", threads, "-filter_threads", "1",
		"-max_pixels", strconv.FormatInt(r.lim.MaxPixels, 10), "-i", src,
		"-map", "0:V:0", "-map", "0:a:0?", "-map_metadata", "-1", "-map_chapters", "-1",
		"-t", strconv.FormatFloat(r.lim.MaxDuration.Seconds(), 'f', 0, 64),
		"-vf", scale, "-fpsmax", strconv.Itoa(o.MaxFPS),
		"-c:v", "libx264", "-preset", o.Preset, "-crf", strconv.Itoa(o.CRF), "-pix_fmt", "yuv420p",
		"-maxrate", strconv.FormatInt(o.VideoBitrate, 10), "-bufsize", strconv.FormatInt(2*o.VideoBitrate, 10),
		"-threads", threads,
		"-c:a", "aac", "-b:a", strconv.FormatInt(o.AudioBitrate, 10), "-ac", "2",
		"-movflags", "+faststart", "-f", "mp4", dst}
	_, err := r.runWith(ctx, o.Timeout, o.MemoryBytes, false, "ffmpeg", args...)
	if errors.Is(err, errFailed) {
		return reject(ErrTranscode, "the video could not be transcoded")
	} else if err != nil {
		return err
	}
	return checkFaststart(dst)
}

// checkFaststart accepts an MP4 whose top-level boxes tile the file and
// whose moov comes before its mdat.
func checkFaststart(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := walkBoxes(f, st.Size()); err != nil {
		return reject(ErrTranscode, "the transcoded video is not a whole MP4")
	}
	for off := int64(0); off < st.Size(); {
		var h [16]byte
		if _, err := f.ReadAt(h[:], off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		size := int64(binary.BigEndian.Uint32(h[:4]))
		if size == 1 {
			size = int64(binary.BigEndian.Uint64(h[8:16]))
		}
		switch string(h[4:8]) {
		case "moov":
			return nil
		case "mdat":
			return reject(ErrTranscode, "the transcoded video has its index after its data")
		}
		off += size
	}
	return reject(ErrTranscode, "the transcoded video has no index")
}
