package gateway

import (
	"errors"
	"net/http"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"tiktok/gateway/compose"
	"tiktok/internal/auth"
	"tiktok/internal/errno"
	"tiktok/internal/httpserver"
	"tiktok/internal/logx"
	"tiktok/internal/metrics"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/publish"
)

type videosResp struct {
	Status
	VideoList []*compose.Video `json:"video_list"`
}

func (r *videosResp) fillLists() { r.VideoList = orEmpty(r.VideoList) }

// publishTimeout bounds the publish RPC, which probes the upload and then
// waits up to upload.wait_ready for the media role to make the video: longer
// than the default RPC bound, still finite.
const publishTimeout = 2 * time.Minute

// publish is two steps: readUpload stores the upload as its original,
// createVideo has the publish service check it and make it a job for the
// media role, and answers once the video is ready (or failed, 10007, or
// upload.wait_ready passed). Whatever is refused, the original does not stay
// (API.md: a failed publish leaves nothing behind).
func (g *Gateway) publish(c *gin.Context) (*Status, error) {
	// The body paces itself (upload.min_rate, upload.stall_timeout) instead
	// of the server's read_timeout, too short for a large video.
	paced := httpserver.Pace(c.Writer, c.Request, g.cfg.Upload.MinRate, g.cfg.Upload.StallTimeout)
	orig := c.Request.Body
	up, err := g.readUpload(c, paced)
	// The server tells from its own body whether the connection can serve
	// another request.
	c.Request.Body = orig
	if e := (*errno.Error)(nil); errors.As(err, &e) && e.Code == errno.CodeTooLarge {
		httpserver.DrainRefused(c.Writer, orig)
	}
	// However long the body took, the RPC and the reply get their own time
	// from now (write_timeout counts from the request's header); the rest
	// of a good body must come within a stall, a refused one is not read.
	reply, grace := g.cfg.HTTP.WriteTimeout, time.Duration(0)
	if err == nil {
		grace = g.cfg.Upload.StallTimeout
		if reply > 0 {
			reply += publishTimeout
		}
	}
	paced.Done(grace, reply)
	if err != nil {
		// The rest of the body, if any, is not worth reading.
		c.Header("Connection", "close")
		return nil, err
	}
	defer up.leave()
	return &Status{}, g.createVideo(c, up)
}

// upload is an upload stored as its original under key, not yet published: its
// author's, its title, the SHA-256 of its bytes, and how to end the
// author's turn (uploads.enter) once it is published or refused.
type upload struct {
	viewer int64
	title  string
	key    string
	sum    string
	leave  func()
}

// readUpload reads the multipart body part by part in the client's order
// (see uploadForm), the video streamed, never held in memory. What can be
// refused without reading the body (a declared length over the limit, a bad
// token or title in the query string or header) is refused first, and the
// whole body, chunked or not, is bounded by upload.max_bytes plus
// multipartOverhead. On failure nothing stays stored or spooled.
func (g *Gateway) readUpload(c *gin.Context, paced *httpserver.Body) (_ upload, err error) {
	max := g.cfg.Upload.MaxBytes
	if c.Request.ContentLength > max+multipartOverhead {
		return upload{}, tooLarge(max)
	}
	body := &recorder{r: http.MaxBytesReader(c.Writer, paced, max+multipartOverhead)}
	c.Request.Body = body
	u := &uploadForm{ctx: ctxOf(c), max: max, ip: c.ClientIP(), store: g.store, spool: g.uploads.spool,
		verify: func(t string) (int64, error) { return g.verifyToken(c, t) },
		admit:  func(viewer int64) (func(), error) { return g.admit(c, viewer) }}
	defer func() {
		if err != nil {
			u.abort(func(key string) { g.discard(c, key) })
		}
	}()
	viewer := int64(0)
	if t := outerToken(c); t != "" {
		if viewer, err = u.verify(t); err != nil {
			return upload{}, err
		}
	}
	if t, ok := c.GetQuery("title"); ok {
		if !validate.Title(t) {
			return upload{}, errBadTitle
		}
		u.title, u.titleFixed = t, true
	}
	if viewer != 0 {
		if err := u.enter(viewer); err != nil {
			return upload{}, err
		}
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return upload{}, errno.BadParam("publish needs a multipart/form-data body")
	}
	if err := u.read(mr, body, paced); err != nil {
		return upload{}, err
	}
	return upload{viewer: u.viewer, title: u.title, key: u.key, sum: u.sum, leave: u.leave}, nil
}

// verifyToken is the viewer's rule for the upload's token: 10002 when it is
// bad, the user service's failure as it is.
func (g *Gateway) verifyToken(c *gin.Context, token string) (int64, error) {
	id, err := g.tokens.Verify(ctxOf(c), token)
	if errors.Is(err, auth.ErrInvalid) {
		return 0, errno.Unauthorized("invalid or expired token, please log in again")
	}
	return id, err
}

// admit lets viewer's upload start, before any of its bytes are stored, or
// refuses it with 10008: the publish rate limit, the user's uploads in
// flight on this gateway (upload.per_user), the daily quota (asked of the
// publish service, which counts every gateway's publishes). leave ends the
// upload's turn.
func (g *Gateway) admit(c *gin.Context, viewer int64) (leave func(), err error) {
	if err := g.limitUser(c, limPublish, viewer); err != nil {
		return nil, err
	}
	leave, ok := g.uploads.enter(viewer)
	if !ok {
		metrics.RateLimitRefusals.WithLabelValues("upload_per_user").Inc()
		return nil, errno.New(errno.CodeRateLimited, "you have %d uploads in progress; wait for one to finish", g.uploads.perUser)
	}
	if _, err := g.rpc.Publish.CheckUpload(ctxOf(c), &publish.CheckUploadRequest{AuthorId: viewer}); err != nil {
		leave()
		if code, _ := errno.From(err); code == errno.CodeRateLimited {
			c.Header("Retry-After", "3600") // the quota frees as the day's videos age
		}
		return nil, err
	}
	return leave, nil
}

// createVideo asks the publish service to publish the stored original. A
// service that was reached removes the object itself when it refuses the
// video (and the media role when it fails); only an upload that never
// reached it is still ours to remove.
func (g *Gateway) createVideo(c *gin.Context, up upload) error {
	_, err := g.rpc.Publish.CreateVideo(ctxOf(c), &publish.CreateVideoRequest{AuthorId: up.viewer, Title: up.title,
		VideoKey: up.key, ContentSha256: up.sum}, callopt.WithRPCTimeout(publishTimeout))
	if errors.Is(err, kerrors.ErrGetConnection) {
		g.discard(c, up.key)
	}
	return err
}

// discard removes a staged upload; a failure is only logged, the reply is
// the publish's own error.
func (g *Gateway) discard(c *gin.Context, key string) {
	if err := g.store.Delete(ctxOf(c), key); err != nil {
		logx.Ctx(ctxOf(c)).Error("cleanup failed", zap.String("key", key), zap.Error(err))
	}
}

func tooLarge(max int64) error {
	return errno.New(errno.CodeTooLarge, "the video is larger than the limit of %d MiB", max>>20)
}

// publishList answers user_id's videos, newest first (the service's order).
func (g *Gateway) publishList(c *gin.Context) (*videosResp, error) {
	viewer, id, err := g.viewerAndUser(c)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.Publish.ListByAuthor(ctxOf(c), &publish.ListByAuthorRequest{AuthorId: id})
	if err != nil {
		return nil, err
	}
	if len(r.Videos) == 0 {
		return &videosResp{}, g.requireUser(c, id)
	}
	vs, err := g.compose.Videos(ctxOf(c), viewer, r.Videos)
	return &videosResp{VideoList: vs}, err
}

// uploadsResp answers GET /douyin/publish/uploads/ (outside the app's
// contract; docs/API.md, Publish): the viewer's own uploads that are not ready.
type uploadsResp struct {
	Status
	UploadList []uploadItem `json:"upload_list"`
}

// uploadItem is one upload in progress or failed.
type uploadItem struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	// State is "processing" or "failed".
	State string `json:"state"`
	// Reason says why a failed upload failed ("" while processing).
	Reason string `json:"reason"`
	// CreatedAt is when it was uploaded, in milliseconds.
	CreatedAt int64 `json:"created_at"`
}

func (r *uploadsResp) fillLists() { r.UploadList = orEmpty(r.UploadList) }

// uploadList answers the viewer's uploads that are processing or failed (a
// ready one is in its publish list): the token is required, and only its
// own are shown.
func (g *Gateway) uploadList(c *gin.Context) (*uploadsResp, error) {
	viewer, err := g.requireViewer(c)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.Publish.Uploads(ctxOf(c), &publish.UploadsRequest{AuthorId: viewer})
	if err != nil {
		return nil, err
	}
	out := make([]uploadItem, len(r.Uploads))
	for i, u := range r.Uploads {
		state := "processing"
		if u.State == publish.VideoState_FAILED {
			state = "failed"
		}
		out[i] = uploadItem{ID: u.Id, Title: u.Title, State: state, Reason: u.Reason, CreatedAt: u.CreatedAtMs}
	}
	return &uploadsResp{UploadList: out}, nil
}
