// Package mediatest makes hostile media files for tests: cheap to produce,
// expensive to decode. Building them with an encoder would cost the test what
// the attack costs the server, so the JPEG and AVI are written byte by byte.
package mediatest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FlatJPEG returns a valid baseline JPEG (YCbCr 4:2:0) of w x h pixels, all
// one colour, in about 3*w*h/512 bytes: with one-code Huffman tables every
// 8x8 block is two zero bits (DC difference 0, end of block), so a
// 16000x16000 image is a 1.5 MB file whose decoding needs a 384 MB frame.
func FlatJPEG(w, h int) []byte {
	var b bytes.Buffer
	seg := func(marker byte, body []byte) {
		b.Write([]byte{0xFF, marker})
		binary.Write(&b, binary.BigEndian, uint16(len(body)+2))
		b.Write(body)
	}
	b.Write([]byte{0xFF, 0xD8})
	seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))
	seg(0xC0, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0})
	// One code of length 1 ("0") for symbol 0: DC category 0, AC end of block.
	table := append(append([]byte{1}, make([]byte, 15)...), 0)
	seg(0xC4, append([]byte{0x00}, table...))
	seg(0xC4, append([]byte{0x10}, table...))
	seg(0xDA, []byte{3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0})
	mcus := ((w + 15) / 16) * ((h + 15) / 16)
	bits := 6 * 2 * mcus // four luma blocks and two chroma blocks a macroblock
	scan := make([]byte, (bits+7)/8)
	if r := bits % 8; r != 0 {
		scan[len(scan)-1] = byte(0xFF >> r) // pad with ones
	}
	b.Write(scan)
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

// MJPEGAVI writes an AVI of frames copies of jpeg (w x h, fps frames a
// second) to path: the container ffmpeg's own muxer would write, without
// decoding anything to make it.
func MJPEGAVI(path string, jpeg []byte, w, h, frames, fps int) error {
	le := binary.LittleEndian
	chunk := func(id string, body []byte) []byte {
		out := append([]byte(id), le.AppendUint32(nil, uint32(len(body)))...)
		out = append(out, body...)
		if len(body)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	list := func(kind string, parts ...[]byte) []byte {
		body := []byte(kind)
		for _, p := range parts {
			body = append(body, p...)
		}
		return chunk("LIST", body)
	}
	u32 := func(vs ...uint32) []byte {
		var out []byte
		for _, v := range vs {
			out = le.AppendUint32(out, v)
		}
		return out
	}
	frameSize := uint32(len(jpeg))
	avih := u32(uint32(1000000/fps), frameSize*uint32(fps), 0, 0x10, uint32(frames), 0, 1, frameSize,
		uint32(w), uint32(h), 0, 0, 0, 0)
	strh := append([]byte("vidsMJPG"), u32(0, 0, 0, 1, uint32(fps), 0, uint32(frames), frameSize, 0xFFFFFFFF, 0)...)
	strh = append(strh, le.AppendUint16(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0), 0), uint16(w)), uint16(h))...)
	strf := append(u32(40, uint32(w), uint32(h)), le.AppendUint16(le.AppendUint16(nil, 1), 24)...)
	strf = append(append(strf, []byte("MJPG")...), u32(uint32(w*h*3), 0, 0, 0, 0)...)
	hdrl := list("hdrl", chunk("avih", avih), list("strl", chunk("strh", strh), chunk("strf", strf)))
	var movi, idx []byte
	for i := 0; i < frames; i++ {
		idx = append(idx, []byte("00dc")...)
		idx = append(idx, u32(0x10, uint32(4+len(movi)), frameSize)...)
		movi = append(movi, chunk("00dc", jpeg)...)
	}
	body := append([]byte("AVI "), hdrl...)
	body = append(body, list("movi", movi)...)
	body = append(body, chunk("idx1", idx)...)
	return os.WriteFile(path, chunk("RIFF", body), 0o644)
}

// Remux copies src's streams into dst (the container named by dst's
// extension) without decoding them: ffmpeg's stream-info step, which would
// decode a frame, is turned off.
func Remux(ctx context.Context, src, dst string, extra ...string) error {
	args := append([]string{"-nostdin", "-y", "-v", "error", "-nofind_stream_info", "-i", src, "-c", "copy"}, extra...)
	cmd := exec.CommandContext(ctx, "ffmpeg", append(args, dst)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg remux: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// FFmpeg runs ffmpeg with args and writes dst.
func FFmpeg(ctx context.Context, dst string, args ...string) error {
	args = append(append([]string{"-nostdin", "-y", "-v", "error"}, args...), dst)
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", filepath.Base(dst), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Accepted makes one small video of each accepted container in dir, by name:
// "mp4", "mov" and "webm".
func Accepted(ctx context.Context, dir string) (map[string]string, error) {
	src := []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i", "sine=duration=2"}
	out := map[string]string{}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"mp4", []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"}},
		{"mov", []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"}},
		{"webm", []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"}},
	} {
		p := filepath.Join(dir, "ok."+c.name)
		if err := FFmpeg(ctx, p, append(append([]string{}, src...), c.args...)...); err != nil {
			return nil, err
		}
		out[c.name] = p
	}
	return out, nil
}

// Hostile makes, in dir, each file issue 13 found accepted, by name:
//
//	mjpeg-avi-16000  an MJPEG AVI of two 16000x16000 frames (1.5 MB each)
//	mjpeg-mov-16000  the same frames in a QuickTime file, an accepted container
//	one-frame-8192   one 8192x8192 frame in an MP4
//	one-frame        one 320x240 frame of H.264 in an MP4
//	one-frame-webm   one VP9 frame in a WebM (which declares no frame count)
//	m4a-cover-art    AAC audio with an attached picture, in an MP4 (M4A)
//	mp3-cover-art    MP3 audio with an attached picture
//	avi, mkv, mpegts a normal short video in another container
//	mp4-html         a normal MP4 with an HTML page appended
//	too-long         an 11-minute MP4 of 12 tiny frames (cheap to make)
func Hostile(ctx context.Context, dir string) (map[string]string, error) {
	out := map[string]string{}
	ext := map[string]string{"mjpeg-avi-16000": ".avi", "mjpeg-mov-16000": ".mov", "one-frame-webm": ".webm",
		"m4a-cover-art": ".m4a", "mp3-cover-art": ".mp3", "avi": ".avi", "mkv": ".mkv", "mpegts": ".ts"}
	p := func(name string) string {
		e, ok := ext[name]
		if !ok {
			e = ".mp4"
		}
		out[name] = filepath.Join(dir, name+e)
		return out[name]
	}
	huge := FlatJPEG(16000, 16000)
	if err := MJPEGAVI(p("mjpeg-avi-16000"), huge, 16000, 16000, 2, 2); err != nil {
		return nil, err
	}
	if err := Remux(ctx, out["mjpeg-avi-16000"], p("mjpeg-mov-16000")); err != nil {
		return nil, err
	}
	big := filepath.Join(dir, "one-frame-8192.avi")
	if err := MJPEGAVI(big, FlatJPEG(8192, 8192), 8192, 8192, 1, 25); err != nil {
		return nil, err
	}
	if err := Remux(ctx, big, p("one-frame-8192")); err != nil {
		return nil, err
	}
	video := []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"}
	x264 := []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
	art := []string{"-f", "lavfi", "-i", "sine=duration=2", "-f", "lavfi", "-i", "color=c=red:size=64x64:d=0.04",
		"-map", "0:a", "-map", "1:v", "-frames:v", "1", "-c:v", "mjpeg", "-disposition:v:0", "attached_pic"}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"one-frame", append(append([]string{}, video...), append([]string{"-frames:v", "1"}, x264...)...)},
		{"one-frame-webm", append(append([]string{}, video...), "-frames:v", "1", "-c:v", "libvpx-vp9", "-deadline", "realtime")},
		{"m4a-cover-art", append(append([]string{}, art...), "-c:a", "aac")},
		{"mp3-cover-art", append(append([]string{}, art...), "-c:a", "libmp3lame", "-id3v2_version", "3")},
		{"avi", append(append([]string{}, video...), "-c:v", "mpeg4")},
		{"mkv", append(append([]string{}, video...), x264...)},
		{"mpegts", append(append([]string{}, video...), x264...)},
		{"mp4-html", append(append([]string{}, video...), x264...)},
		{"too-long", append([]string{"-f", "lavfi", "-i", "color=c=blue:size=64x64:rate=1/60", "-t", "660"}, x264...)},
	} {
		if err := FFmpeg(ctx, p(c.name), c.args...); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(out["mp4-html"], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString("<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return out, err
}

// Sized makes an H.264/AAC MP4 of w x h at fps, seconds long, in dst.
func Sized(ctx context.Context, dst string, w, h, fps, seconds int) error {
	return FFmpeg(ctx, dst, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%d", w, h, fps, seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=duration=%d", seconds), "-c:v", "libx264", "-preset", "ultrafast",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
}

// Undecodable makes an MP4 that passes every check made without decoding
// (container, declared streams, sizes, two packets) but whose frames are
// zeros: no decoder makes a picture of it.
func Undecodable(ctx context.Context, dst string) error {
	if err := FFmpeg(ctx, dst, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart"); err != nil {
		return err
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("mdat"))
	if i < 4 {
		return fmt.Errorf("no mdat in %s", dst)
	}
	for j := i + 4; j < len(b); j++ {
		b[j] = 0
	}
	return os.WriteFile(dst, b, 0o644)
}
