package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"sync"

	"tiktok/internal/config"
	"tiktok/internal/errno"
	"tiktok/internal/httpserver"
	"tiktok/internal/metrics"
	"tiktok/internal/storage"
	"tiktok/internal/validate"
)

// The rule of the upload: no byte of the video reaches storage before the
// token is verified and its user admitted (rate limit, uploads in flight,
// daily quota). A token in the query string, the Authorization header or a
// form field before the data part is checked before the data is read, and
// the video then streams straight into storage. When the data part comes
// first (the form's order is the client's), its bytes wait in the spool, an
// unlinked temporary file under a byte budget per client IP and in total,
// until the token arrives; a bad or missing token drops them at once.

// multipartOverhead is what the whole publish body may hold beyond
// upload.max_bytes: the multipart framing, the token and the title. It
// bounds the body as read, chunked or not, not only its declared length.
const multipartOverhead = 64 << 10

// maxField bounds the token and title fields.
const maxField = 4096

// uploads is the gateway's own account of uploads: the spool, and each
// user's uploads in flight on this gateway (the daily quota, which must hold
// across gateways, is the publish service's).
type uploads struct {
	spool   *storage.Spool
	perUser int
	mu      sync.Mutex
	active  map[int64]int
}

func newUploads(cfg *config.Config) *uploads {
	u := cfg.Upload
	return &uploads{spool: storage.NewSpool(u.SpoolDir, u.SpoolPerIPBytes, u.SpoolTotalBytes),
		perUser: u.PerUser, active: map[int64]int{}}
}

// enter counts one more upload of user, unless it has perUser in flight
// already; leave ends it (once, however often it is called).
func (u *uploads) enter(user int64) (leave func(), ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.perUser > 0 && u.active[user] >= u.perUser {
		return nil, false
	}
	u.active[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			if u.active[user]--; u.active[user] <= 0 {
				delete(u.active, user)
			}
		})
	}, true
}

// formHandler receives a publish form as walkForm reads it.
type formHandler interface {
	// field gets the token and title fields, each as it arrives.
	field(name, value string) error
	// data gets the first data part, to read to its end.
	data(r io.Reader) error
}

// formError is the form's own fault: malformed multipart, or its body
// failing to arrive (too large, too slow, cut short).
type formError struct{ err error }

func (e formError) Error() string { return "upload form: " + e.err.Error() }
func (e formError) Unwrap() error { return e.err }

// walkForm reads a publish form part by part, in the client's order: token
// and title fields (at most maxField bytes each) go to h.field, the first
// data part to h.data. Other parts are skipped, still within the body's
// bound. It stops at the first error, h's or the form's.
func walkForm(mr *multipart.Reader, h formHandler) error {
	seenData := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return formError{err}
		}
		switch name := part.FormName(); {
		case name == "data" && !seenData:
			seenData = true
			pr := &recorder{r: part}
			if err = h.data(pr); pr.err != nil {
				err = formError{pr.err}
			}
		case name == "token" || name == "title":
			var b []byte
			if b, err = io.ReadAll(io.LimitReader(part, maxField+1)); err != nil {
				err = formError{err}
			} else if len(b) > maxField {
				err = errno.BadParam("%s is too long", name)
			} else {
				err = h.field(name, string(b))
			}
		}
		if err != nil {
			// No Close: it would read the rest of the part, and the body
			// is given up (the reply closes the connection).
			return err
		}
		part.Close() // skips what is left of the part, within the body's bound
	}
}

// recorder remembers the first error of its reader other than EOF, so the
// reply can tell the client's fault (its body) from the server's (storage).
type recorder struct {
	r   io.Reader
	err error
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

func (r *recorder) Close() error {
	if c, ok := r.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// uploadForm is one publish form being read, its formHandler. It holds what
// the form has told so far; on failure abort removes whatever it stored or
// spooled.
type uploadForm struct {
	ctx   context.Context
	max   int64
	ip    string
	store storage.Storage
	spool *storage.Spool
	// verify checks a token (10002 when bad); admit lets its user upload
	// now, or refuses (10008), returning how to end the upload's turn.
	verify func(token string) (int64, error)
	admit  func(viewer int64) (leave func(), err error)

	viewer     int64
	leave      func()
	tokenSeen  bool
	title      string
	titleFixed bool // from the query string, or the first title field
	key        string
	sum        string
	held       *storage.Spooled // the data, waiting for the token
}

// login verifies token and admits its user.
func (u *uploadForm) login(token string) error {
	viewer, err := u.verify(token)
	if err != nil {
		return err
	}
	return u.enter(viewer)
}

// enter admits viewer, whose token is verified; data held meanwhile goes to
// storage now.
func (u *uploadForm) enter(viewer int64) (err error) {
	if u.leave, err = u.admit(viewer); err != nil {
		return err
	}
	u.viewer = viewer
	if u.held == nil {
		return nil
	}
	r, err := u.held.Reader()
	if err == nil {
		err = u.put(r)
	}
	u.held.Close()
	u.held = nil
	return err
}

func (u *uploadForm) field(name, value string) error {
	switch {
	case name == "token" && !u.tokenSeen && u.viewer == 0:
		u.tokenSeen = true
		return u.login(value)
	case name == "title" && !u.titleFixed:
		u.title, u.titleFixed = value, true
		if !validate.Title(value) {
			return errBadTitle
		}
	}
	return nil
}

func (u *uploadForm) data(r io.Reader) error {
	h := sha256.New()
	r = io.TeeReader(countBytes{r}, h)
	var err error
	if u.viewer != 0 {
		err = u.put(r)
	} else {
		u.held, err = u.spool.Write(u.ip, r, u.max)
	}
	if err == nil {
		u.sum = hex.EncodeToString(h.Sum(nil))
	}
	return err
}

// countBytes adds what passes through to tiktok_http_upload_bytes_total.
type countBytes struct{ r io.Reader }

func (c countBytes) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	metrics.UploadBytes.Add(float64(n))
	return n, err
}

// put stores the upload as a new original (never served; the media role
// makes the video from it).
func (u *uploadForm) put(r io.Reader) error {
	k := storage.NewOriginalKey()
	if _, err := u.store.Put(u.ctx, k, r, u.max, "application/octet-stream"); err != nil {
		return err
	}
	u.key = k
	return nil
}

// read walks the form from mr, whose body is body (paced by paced, or nil),
// and checks it; on failure the caller aborts u.
func (u *uploadForm) read(mr *multipart.Reader, body *recorder, paced *httpserver.Body) error {
	if err := walkForm(mr, u); err != nil {
		return uploadError(err, body, paced, u.max)
	}
	return u.finish()
}

// finish checks the form, once read whole, in the order a client fixes it:
// the token, the title, the data.
func (u *uploadForm) finish() error {
	if u.viewer == 0 {
		return errno.Unauthorized("please log in first")
	}
	if !validate.Title(u.title) {
		return errBadTitle
	}
	if u.key == "" {
		return errno.BadParam("data (the video file) is required")
	}
	return nil
}

// abort drops what the form left: spooled bytes, a stored video, the turn.
func (u *uploadForm) abort(discard func(key string)) {
	if u.held != nil {
		u.held.Close()
		u.held = nil
	}
	if u.key != "" {
		discard(u.key)
		u.key = ""
	}
	if u.leave != nil {
		u.leave()
	}
}

var errBadTitle = errno.BadParam("title must be 1 to 100 characters")

// uploadError is the reply to a form that failed with err, read through
// body (paced by paced): the client's faults by their code, the server's
// own failures as they are (internal error).
func uploadError(err error, body *recorder, paced *httpserver.Body, max int64) error {
	var (
		e   *errno.Error
		mbe *http.MaxBytesError
		fe  formError
	)
	switch {
	case errors.As(err, &e):
		return err
	case errors.As(body.err, &mbe), errors.Is(err, storage.ErrTooLarge):
		return tooLarge(max)
	case paced != nil && paced.TimedOut():
		return errno.BadParam("the upload was cut off: its body came too slowly")
	case body.err != nil:
		return errno.BadParam("the upload was cut short")
	case errors.Is(err, storage.ErrBudget):
		metrics.RateLimitRefusals.WithLabelValues("upload_spool").Inc()
		return errno.New(errno.CodeRateLimited, "too many uploads are arriving, please retry in a minute")
	case errors.As(err, &fe):
		return errno.BadParam("malformed multipart body")
	}
	return err
}
