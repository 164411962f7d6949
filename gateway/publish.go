package gateway

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/storage"
	"tiktok/internal/validate"
	"tiktok/kitex_gen/publish"
)

// publishTimeout bounds the publish RPC, which probes the video and cuts its
// cover: longer than the default RPC bound, still finite.
const publishTimeout = 2 * time.Minute

// multipartOverhead is the slack allowed above upload.max_bytes for the
// multipart framing and small fields when judging Content-Length.
const multipartOverhead = 1 << 20

// publish streams the multipart upload part by part straight into storage, so
// no process holds the video in memory, then asks the publish service to
// check it, cut the cover and insert the row. Whatever fails, the stored
// object is removed.
func (g *Gateway) publish(c *gin.Context) {
	resp := &Status{}
	key := ""
	err := func() error {
		max := g.cfg.Upload.MaxBytes
		if c.Request.ContentLength > max+multipartOverhead {
			c.Header("Connection", "close")
			return tooLarge(max)
		}
		// A token or title in the query string can be refused before the upload is read.
		token := outerToken(c)
		if token != "" {
			if _, err := g.tokens.Parse(token); err != nil {
				return errno.Unauthorized("invalid or expired token, please log in again")
			}
		}
		if t, ok := c.GetQuery("title"); ok && !validate.Title(t) {
			return errno.BadParam("title must be 1 to 100 characters")
		}
		mr, err := c.Request.MultipartReader()
		if err != nil {
			return errno.BadParam("publish needs a multipart/form-data body")
		}
		form := map[string]string{}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return errno.BadParam("malformed multipart body")
			}
			name := part.FormName()
			switch {
			case name == "data" && key == "":
				k := "videos/" + uuid.NewString() + ".mp4"
				if _, err := g.store.Put(ctxOf(c), k, part, max, "video/mp4"); err != nil {
					if errors.Is(err, storage.ErrTooLarge) {
						c.Header("Connection", "close")
						return tooLarge(max)
					}
					return err
				}
				key = k
			case name == "token" || name == "title":
				b, err := io.ReadAll(io.LimitReader(part, 4096))
				if err != nil {
					return errno.BadParam("malformed multipart body")
				}
				form[name] = string(b)
			}
			part.Close()
		}
		if token == "" {
			token = form["token"]
		}
		if token == "" {
			return errno.Unauthorized("please log in first")
		}
		viewer, err := g.tokens.Parse(token)
		if err != nil {
			return errno.Unauthorized("invalid or expired token, please log in again")
		}
		title, ok := c.GetQuery("title")
		if !ok {
			title = form["title"]
		}
		if !validate.Title(title) {
			return errno.BadParam("title must be 1 to 100 characters")
		}
		if key == "" {
			return errno.BadParam("data (the video file) is required")
		}
		_, err = g.rpc.Publish.CreateVideo(ctxOf(c), &publish.CreateVideoRequest{AuthorId: viewer, Title: title, VideoKey: key},
			callopt.WithRPCTimeout(publishTimeout))
		if err == nil || !errors.Is(err, kerrors.ErrGetConnection) {
			// Published, or the service was reached and cleaned up after itself.
			// Only an upload that never reached it is still ours to remove.
			key = ""
		}
		return err
	}()
	if key != "" {
		if derr := g.store.Delete(ctxOf(c), key); derr != nil {
			logx.Ctx(ctxOf(c)).Error("cleanup failed", zap.String("key", key), zap.Error(derr))
		}
	}
	resp.set(err)
	c.PureJSON(http.StatusOK, resp)
}

func tooLarge(max int64) error {
	return errno.New(errno.CodeTooLarge, "the video is larger than the limit of %d MiB", max>>20)
}
