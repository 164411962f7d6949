package gateway

import (
	"errors"
	"io"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"tiktok/gateway/compose"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/storage"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/publish"
)

type videosResp struct {
	Status
	VideoList []*compose.Video `json:"video_list"`
}

func (r *videosResp) fillLists() { r.VideoList = orEmpty(r.VideoList) }

// publishTimeout bounds the publish RPC, which probes the video and cuts its
// cover: longer than the default RPC bound, still finite.
const publishTimeout = 2 * time.Minute

// multipartOverhead is the slack allowed above upload.max_bytes for the
// multipart framing and small fields when judging Content-Length.
const multipartOverhead = 1 << 20

// publish is two steps: readUpload stages the video in storage, createVideo
// has the publish service check it, cut the cover and insert the row.
// Whatever fails, the staged object does not stay (API.md: a failed publish
// leaves nothing behind).
func (g *Gateway) publish(c *gin.Context) (*Status, error) {
	up, err := g.readUpload(c)
	if err != nil {
		return nil, err
	}
	return &Status{}, g.createVideo(c, up)
}

// upload is a video staged in storage under key, not yet published.
type upload struct {
	viewer int64
	title  string
	key    string
}

// readUpload streams the multipart body part by part, the video straight
// into storage, so no process holds it in memory. What can be refused
// without reading the body (Content-Length over the limit, a bad token or
// title in the query string) is refused first. On failure nothing stays
// staged.
func (g *Gateway) readUpload(c *gin.Context) (_ upload, err error) {
	key := ""
	defer func() {
		if err != nil && key != "" {
			g.discard(c, key)
		}
	}()
	max := g.cfg.Upload.MaxBytes
	if c.Request.ContentLength > max+multipartOverhead {
		c.Header("Connection", "close")
		return upload{}, tooLarge(max)
	}
	token := outerToken(c)
	if token != "" {
		if _, err := g.tokens.Parse(token); err != nil {
			return upload{}, errno.Unauthorized("invalid or expired token, please log in again")
		}
	}
	if t, ok := c.GetQuery("title"); ok && !validate.Title(t) {
		return upload{}, errno.BadParam("title must be 1 to 100 characters")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return upload{}, errno.BadParam("publish needs a multipart/form-data body")
	}
	form := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return upload{}, errno.BadParam("malformed multipart body")
		}
		name := part.FormName()
		switch {
		case name == "data" && key == "":
			k := "videos/" + uuid.NewString() + ".mp4"
			if _, err := g.store.Put(ctxOf(c), k, part, max, "video/mp4"); err != nil {
				if errors.Is(err, storage.ErrTooLarge) {
					c.Header("Connection", "close")
					return upload{}, tooLarge(max)
				}
				return upload{}, err
			}
			key = k
		case name == "token" || name == "title":
			b, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return upload{}, errno.BadParam("malformed multipart body")
			}
			form[name] = string(b)
		}
		part.Close()
	}
	if token == "" {
		token = form["token"]
	}
	if token == "" {
		return upload{}, errno.Unauthorized("please log in first")
	}
	viewer, err := g.tokens.Parse(token)
	if err != nil {
		return upload{}, errno.Unauthorized("invalid or expired token, please log in again")
	}
	title, ok := c.GetQuery("title")
	if !ok {
		title = form["title"]
	}
	if !validate.Title(title) {
		return upload{}, errno.BadParam("title must be 1 to 100 characters")
	}
	if key == "" {
		return upload{}, errno.BadParam("data (the video file) is required")
	}
	return upload{viewer: viewer, title: title, key: key}, nil
}

// createVideo asks the publish service to check the staged video, cut its
// cover and insert the row. A service that was reached removes the object
// itself when it refuses the video; only an upload that never reached it is
// still ours to remove.
func (g *Gateway) createVideo(c *gin.Context, up upload) error {
	_, err := g.rpc.Publish.CreateVideo(ctxOf(c), &publish.CreateVideoRequest{AuthorId: up.viewer, Title: up.title, VideoKey: up.key},
		callopt.WithRPCTimeout(publishTimeout))
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
