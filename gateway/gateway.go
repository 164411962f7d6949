// Package gateway is the HTTP face of the system: it translates the app's
// requests (the app's contract, docs/API.md) into RPCs and the replies back into JSON. It
// checks the token once and passes the viewer's id to the services.
package gateway

import (
	"context"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"tiktok/domain/chatpush"
	"tiktok/gateway/compose"
	"tiktok/internal/admission"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/errno"
	"tiktok/internal/httpserver"
	"tiktok/internal/logx"
	"tiktok/internal/rpc"
	"tiktok/internal/storage"
	"tiktok/internal/tracing"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/feed/feedservice"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/relation/relationservice"
	"tiktok/kitex_gen/user/userservice"
	"tiktok/web"
)

// Clients are the services the gateway calls: every one.
type Clients struct {
	User     userservice.Client
	Feed     feedservice.Client
	Publish  publishservice.Client
	Favorite favoriteservice.Client
	Comment  commentservice.Client
	Relation relationservice.Client
	Message  messageservice.Client
}

type Gateway struct {
	cfg     *config.Config
	rpc     *Clients
	tokens  *auth.Tokens
	store   storage.Storage
	compose *compose.Composer
	limits  *limits
	uploads *uploads
	chats   *chatpush.Hub // the chat streams (message_stream.go); nil: none
	// anonFeed is the anonymous first page of the feed, reused (feed.go).
	anonFeed sharedPage
	// gate is the admission control of the API's requests (admission.go).
	gate *admission.Gate
}

func New(cfg *config.Config, clients *Clients, tokens *auth.Tokens, store storage.Storage) *Gateway {
	c := clients
	g := &Gateway{cfg: cfg, rpc: c, tokens: tokens, store: store, compose: compose.New(&compose.Clients{User: c.User,
		Relation: c.Relation, Favorite: c.Favorite, Publish: c.Publish, Comment: c.Comment, Message: c.Message}, cfg.Location())}
	tokens.Bind(g.bindToken) // a token acts only for its own, existing user (viewer.go)
	g.uploads = newUploads(cfg)
	g.gate = admission.New(cfg.HTTP.MaxInFlight, cfg.HTTP.MaxWaiting, cfg.HTTP.MaxWait)
	return g
}

// maxFormBytes bounds every request body but the upload's.
const maxFormBytes = 1 << 20

// Router returns the HTTP handler. Each API path answers with and without its
// trailing slash, never by redirect (a redirected POST loses its body).
func (g *Gateway) Router() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.MaxMultipartMemory = maxFormBytes
	r.Use(g.securityHeaders()) // first: also on 404s and panics (headers.go)
	trustProxies(r, g.cfg.Limits.TrustedProxies)
	g.limits = newLimits(g.cfg)
	if g.cfg.Tracing.Endpoint != "" {
		r.Use(tracing.HTTP("gateway", g.cfg.Tracing.SampleRatio))
	}
	if g.cfg.Admin.Metrics {
		r.Use(observe)
	}
	// Gin writes a panic's stack itself, in red: plain off a terminal.
	r.Use(requestID, accessLog, gin.CustomRecoveryWithWriter(logx.Stderr(), func(c *gin.Context, p any) {
		logx.Ctx(c.Request.Context()).Error("panic", zap.Any("panic", p))
		reply(c, &Status{}, errno.Internal())
	}))
	small := limitBody(maxFormBytes)
	// A successful write that changes the anonymous feed page (a like, a
	// comment, a follow, a publish) drops the reused page (feed.go) after the
	// write, before the first byte of its reply.
	drops := map[string]bool{"/douyin/favorite/action/": true, "/douyin/comment/action/": true,
		"/douyin/relation/action/": true, "/douyin/publish/action/": true}
	// The upload and the chat stream last long by nature and have bounds of
	// their own (upload.*, push.*): not admitted through the gate.
	ungated := map[string]bool{"/douyin/publish/action/": true, "/douyin/message/stream/": true}
	api := func(method, path string, h gin.HandlerFunc, mw ...gin.HandlerFunc) {
		if !ungated[path] {
			mw = append([]gin.HandlerFunc{g.admitRequest}, mw...)
		}
		if drops[path] {
			mw = append([]gin.HandlerFunc{func(c *gin.Context) {
				c.Writer = &resetOnReply{ResponseWriter: c.Writer, c: c, page: &g.anonFeed}
			}}, mw...)
		}
		hs := append(mw, h)
		r.Handle(method, path, hs...)
		r.Handle(method, strings.TrimSuffix(path, "/"), hs...)
	}
	api("GET", "/douyin/feed/", handle(g.feed))
	api("POST", "/douyin/user/register/", handle(perIP(g, limRegisterIP, g.register)), small)
	api("POST", "/douyin/user/login/", handle(g.guardLogin(g.login)), small)
	api("POST", "/douyin/user/logout/", handle(g.logout), small)
	api("GET", "/douyin/user/", handle(g.userInfo))
	api("POST", "/douyin/publish/action/", handle(g.publish))
	api("GET", "/douyin/publish/list/", handle(g.publishList))
	api("GET", "/douyin/publish/uploads/", handle(g.uploadList)) // not in the app's contract: docs/API.md, Publish
	api("POST", "/douyin/favorite/action/", handle(perUser(g, limLike, g.favoriteAction)), small)
	api("GET", "/douyin/favorite/list/", handle(g.favoriteList))
	api("POST", "/douyin/comment/action/", handle(perUser(g, limComment, g.commentAction)), small)
	api("GET", "/douyin/comment/list/", handle(g.commentList))
	api("POST", "/douyin/relation/action/", handle(perUser(g, limFollow, g.relationAction)), small)
	api("GET", "/douyin/relation/follow/list/", handle(g.followList))
	api("GET", "/douyin/relation/follower/list/", handle(g.followerList))
	api("GET", "/douyin/relation/friend/list/", handle(g.friendList))
	api("GET", "/douyin/message/chat/", handle(g.chat))
	api("POST", "/douyin/message/action/", handle(perUser(g, limMessage, g.messageAction)), small)
	api("GET", "/douyin/message/stream/", g.messageStream)
	if media, ok := g.store.(storage.Server); ok {
		serve := g.serveMedia(media)
		r.GET("/media/*key", serve)
		r.HEAD("/media/*key", serve)
	}
	r.GET("/static/avatar/:file", avatar)
	r.GET("/static/background/:file", background)
	serveWebClient(r)
	return r
}

// serveWebClient serves the embedded browser client: the page at / and its
// files under /app/. It speaks only the public /douyin/ API.
func serveWebClient(r *gin.Engine) {
	assets, _ := fs.Sub(web.Files, "static")
	r.StaticFS("/app", http.FS(filesOnly{assets})) // no directory listings
	index, _ := web.Files.ReadFile("index.html")
	r.GET("/", func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	})
}

// requestID gives every request an id (or keeps the caller's X-Request-Id),
// returns it in a header, and carries it into every RPC for the logs.
func requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 {
		id = newRequestID()
	}
	c.Header("X-Request-Id", id)
	if sc := trace.SpanContextFromContext(c.Request.Context()); sc.IsValid() {
		// Lets an operator jump from a reply to its trace in Jaeger.
		c.Header("X-Trace-Id", sc.TraceID().String())
	}
	c.Request = c.Request.WithContext(logx.WithRequestID(c.Request.Context(), id))
	c.Next()
}

// requestIDs: a random prefix per process and a counter, unique without a
// read of the system's randomness per request.
var (
	requestIDPrefix = uuid.NewString()[:8] + "-"
	requestIDSeq    atomic.Uint64
)

func newRequestID() string {
	return requestIDPrefix + strconv.FormatUint(requestIDSeq.Add(1), 36)
}

func accessLog(c *gin.Context) {
	if !logx.L().Core().Enabled(zap.DebugLevel) {
		c.Next() // the line would not be written; skip building its logger
		return
	}
	start := time.Now()
	c.Next()
	logx.Ctx(c.Request.Context()).Debug("http", zap.String("method", c.Request.Method),
		zap.String("path", c.Request.URL.Path), zap.Int("status", c.Writer.Status()),
		zap.Duration("took", time.Since(start)))
}

func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw := c.Request.Body
		c.Request.Body = http.MaxBytesReader(c.Writer, raw, n)
		if !readSmallBody(c, n) { // over n: 10006 (body.go)
			httpserver.DrainRefused(c.Writer, raw)
		}
		c.Next()
	}
}

// ctxOf is the context for the request's calls: without the HTTP request's
// cancellation (see rpc.Detach; each call is bounded by rpc.timeout).
func ctxOf(c *gin.Context) context.Context { return rpc.Detach(c.Request.Context()) }
