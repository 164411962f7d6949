package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// container is an accepted container: how ffprobe names it, and the content
// type and extension it is stored and served with.
type container struct {
	name, formatName, contentType, ext string
	codecs                             map[string]bool // accepted video codecs; nil: any
}

var (
	mp4Container = container{name: "MP4", formatName: "mov,mp4,m4a,3gp,3g2,mj2", contentType: "video/mp4", ext: ".mp4"}
	movContainer = container{name: "QuickTime", formatName: "mov,mp4,m4a,3gp,3g2,mj2", contentType: "video/quicktime", ext: ".mov"}
	// WebM allows these video codecs only; anything else is Matroska
	// wearing WebM's name, which browsers would not play.
	webmContainer = container{name: "WebM", formatName: "matroska,webm", contentType: "video/webm", ext: ".webm",
		codecs: map[string]bool{"vp8": true, "vp9": true, "av1": true}}
)

// maxBoxes bounds the top-level boxes walked: real files have a handful
// (ftyp, moov, mdat, free), and each costs a read (a range request for a URL).
const maxBoxes = 1000

var errNotAccepted = reject(ErrContainer, "the video must be an MP4, MOV or WebM file")

// sniff tells the container from src's bytes and checks that its top-level
// structure accounts for every byte of the file: ISO BMFF boxes (MP4, MOV)
// that end exactly at the end of the file, or a WebM EBML header and one
// Segment of declared length. Anything after (HTML appended to make a
// polyglot) or another container (AVI, MPEG-TS, MJPEG, Matroska, MP3...) is
// refused before any tool runs.
func sniff(ctx context.Context, src string) (container, error) {
	f, err := openAt(ctx, src)
	if err != nil {
		return container{}, err
	}
	defer f.Close()
	size := f.size
	head := make([]byte, 12)
	if size < int64(len(head)) {
		return container{}, errNotAccepted
	}
	if _, err := f.ReadAt(head, 0); err != nil {
		return container{}, err
	}
	switch {
	case string(head[4:8]) == "ftyp":
		if err := walkBoxes(f, size); err != nil {
			return container{}, err
		}
		if string(head[8:12]) == "qt  " {
			return movContainer, nil
		}
		return mp4Container, nil
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		docType, err := walkEBML(f, size)
		if err != nil {
			return container{}, err
		}
		if docType != "webm" {
			return container{}, errNotAccepted // Matroska (.mkv)
		}
		return webmContainer, nil
	}
	return container{}, errNotAccepted
}

var errStructure = reject(ErrStructure, "the file has bytes outside its video container (data appended or a malformed container)")

// walkBoxes checks that ISO BMFF top-level boxes tile [0, size) exactly. A
// box of size 0 ("to the end of the file") is refused: it would swallow
// anything appended.
func walkBoxes(r io.ReaderAt, size int64) error {
	var h [16]byte
	off := int64(0)
	for n := 0; off < size; n++ {
		if n == maxBoxes || size-off < 8 {
			return errStructure
		}
		hn := int64(len(h))
		if size-off < hn {
			hn = size - off
		}
		if _, err := r.ReadAt(h[:hn], off); err != nil {
			return err
		}
		for _, c := range h[4:8] {
			if c < 0x20 || c > 0x7E {
				return errStructure
			}
		}
		boxSize, hdr := int64(binary.BigEndian.Uint32(h[:4])), int64(8)
		if boxSize == 1 {
			if hn < 16 {
				return errStructure
			}
			boxSize, hdr = int64(binary.BigEndian.Uint64(h[8:16])), 16
		}
		if boxSize < hdr || boxSize > size-off {
			return errStructure
		}
		off += boxSize
	}
	return nil
}

// EBML element ids (with their length marker, as written).
const (
	ebmlHeaderID = 0x1A45DFA3
	docTypeID    = 0x4282
	segmentID    = 0x18538067
)

// maxEBMLHeader bounds the EBML header read; ffmpeg writes about 30 bytes.
const maxEBMLHeader = 1024

// walkEBML returns the DocType of a Matroska-family file whose EBML header is
// followed by exactly one Segment ending at the end of the file. A Segment
// of unknown size (a live recording never finalised) is refused: it would
// cover whatever follows.
func walkEBML(r io.ReaderAt, size int64) (string, error) {
	buf := make([]byte, min(size, maxEBMLHeader+24))
	if _, err := r.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	id, n1, ok := vint(buf, true)
	if !ok || id != ebmlHeaderID {
		return "", errNotAccepted
	}
	hsize, n2, ok := vint(buf[n1:], false)
	if !ok || hsize > maxEBMLHeader || int64(n1+n2)+int64(hsize) > int64(len(buf)) {
		return "", errStructure
	}
	body := buf[n1+n2 : n1+n2+int(hsize)]
	docType := ""
	for len(body) > 0 {
		cid, m1, ok1 := vint(body, true)
		csize, m2, ok2 := vint(body[min(m1, len(body)):], false)
		if !ok1 || !ok2 || uint64(len(body)-m1-m2) < csize {
			return "", errStructure
		}
		if cid == docTypeID {
			docType = strings.TrimRight(string(body[m1+m2:m1+m2+int(csize)]), "\x00")
		}
		body = body[m1+m2+int(csize):]
	}
	off := n1 + n2 + int(hsize)
	var seg [12]byte
	sn := min(int64(len(seg)), size-int64(off))
	if sn <= 0 {
		return "", errStructure
	}
	if _, err := r.ReadAt(seg[:sn], int64(off)); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	id, n1, ok = vint(seg[:sn], true)
	if !ok || id != segmentID {
		return "", errStructure
	}
	ssize, n2, ok := vint(seg[n1:sn], false)
	if !ok || ssize == unknownSize(n2) || int64(off+n1+n2)+int64(ssize) != size {
		return "", errStructure
	}
	return docType, nil
}

// vint decodes an EBML variable-length integer at the start of b: an element
// id keeps its length marker, a size drops it. It returns the value and its
// length in bytes.
func vint(b []byte, isID bool) (uint64, int, bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > 8 || (isID && n > 4) || len(b) < n {
		return 0, 0, false
	}
	v := uint64(b[0])
	if !isID {
		v &= uint64(0xFF >> n)
	}
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, true
}

// unknownSize is the all-ones size of an n-byte size field, which EBML
// reserves for "unknown".
func unknownSize(n int) uint64 { return 1<<(7*n) - 1 }

// readerAt reads a source at offsets: a file, or a URL through HTTP range
// requests (the presigned URLs of object storage).
type readerAt struct {
	io.ReaderAt
	size  int64
	close func() error
}

func (r *readerAt) Close() error { return r.close() }

func isURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

func openAt(ctx context.Context, src string) (*readerAt, error) {
	if !isURL(src) {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			f.Close()
			return nil, fmt.Errorf("media source %s: not a regular file (%v)", src, err)
		}
		return &readerAt{ReaderAt: f, size: st.Size(), close: f.Close}, nil
	}
	h := &httpReaderAt{ctx: ctx, url: src, size: -1}
	// The first range tells the size (Content-Range: bytes 0-0/SIZE).
	if _, err := h.ReadAt(make([]byte, 1), 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if h.size < 0 {
		return nil, errors.New("media source: no size in the range reply")
	}
	return &readerAt{ReaderAt: h, size: h.size, close: func() error { return nil }}, nil
}

type httpReaderAt struct {
	ctx  context.Context
	url  string
	size int64
}

func (h *httpReaderAt) ReadAt(p []byte, off int64) (int, error) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusPartialContent:
	case http.StatusRequestedRangeNotSatisfiable: // past the end, or an empty object
		if h.size < 0 {
			h.size = 0
		}
		return 0, io.EOF
	default:
		return 0, fmt.Errorf("media source: range request answered %s", res.Status)
	}
	if cr := res.Header.Get("Content-Range"); h.size < 0 {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				h.size = n
			}
		}
	}
	n, err := io.ReadFull(io.LimitReader(res.Body, int64(len(p))), p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

// Open streams the whole of src (a path or URL).
func Open(ctx context.Context, src string) (io.ReadCloser, error) {
	if !isURL(src) {
		return os.Open(src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("media source: GET answered %s", res.Status)
	}
	return res.Body, nil
}
