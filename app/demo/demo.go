// Package demo loads a small demo set on first start of the embedded mode, so
// a newcomer opens a feed with something in it. It goes through the real
// services: registration, storage and the publish path with its covers.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"go.uber.org/zap"

	"tiktok/domain/media"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/storage"
	"tiktok/kitex_gen/publish"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/user"
	"tiktok/kitex_gen/user/userservice"
)

// Password of every demo user.
const Password = "demo123456"

var set = []struct {
	user   string
	videos [][2]string // title, lavfi pattern
}{
	{"demo_alice", [][2]string{{"Test card at dawn", "testsrc2"}, {"Colour bars", "smptehdbars"}}},
	{"demo_bob", [][2]string{{"Into the Mandelbrot set", "mandelbrot"}, {"Game of life", "life"}}},
	{"demo_carol", [][2]string{{"RGB test pattern", "rgbtestsrc"}, {"Cellular automaton", "cellauto"}}},
}

// Clients are the services the demo set is loaded through.
type Clients struct {
	User    userservice.Client
	Publish publishservice.Client
}

// Seed loads the demo set when there are no videos yet.
func Seed(ctx context.Context, c *Clients, store storage.Storage) error {
	r, err := c.Publish.ListBefore(ctx, &publish.ListBeforeRequest{BeforeMs: time.Now().UnixMilli() + 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(r.Videos) > 0 {
		return nil
	}
	logx.L().Info("empty database: loading the demo set (a few seconds)")
	start := time.Now()
	tmp, err := os.MkdirTemp("", "tiktok-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ids := make([]int64, len(set))
	for i, u := range set {
		if ids[i], err = account(ctx, c, u.user); err != nil {
			return err
		}
	}
	// Rendering and publishing a clip is ffmpeg work: one clip per core at a
	// time keeps the whole set within a few seconds. Each author's videos
	// are published in order, so the feed shows them newest last as listed.
	type clip struct {
		author      int64
		title, file string
		pattern     string
	}
	var clips []clip
	for i, u := range set {
		for j, v := range u.videos {
			clips = append(clips, clip{ids[i], v[0], filepath.Join(tmp, fmt.Sprintf("%s-%d.mp4", u.user, j)), v[1]})
		}
	}
	errs := make([]error, len(clips))
	sem := make(chan struct{}, max(runtime.NumCPU(), 2))
	var wg sync.WaitGroup
	for i, cl := range clips {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = media.MakeSample(ctx, cl.file, cl.pattern, 3)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, cl := range clips {
		if err := publishFile(ctx, c, store, cl.author, cl.title, cl.file); err != nil {
			return err
		}
	}
	// No password in a log, not even the demo's: README.md gives it.
	logx.L().Info("demo set loaded", zap.String("users", "demo_alice, demo_bob, demo_carol"), zap.String("password", "see README.md"),
		zap.Duration("took", time.Since(start)))
	return nil
}

func account(ctx context.Context, c *Clients, name string) (int64, error) {
	r, err := c.User.Register(ctx, &user.RegisterRequest{Username: name, Password: Password})
	if code, _ := errno.From(err); code == errno.CodeAlreadyExists {
		r, err = c.User.Login(ctx, &user.LoginRequest{Username: name, Password: Password})
	}
	if err != nil {
		return 0, err
	}
	return r.UserId, nil
}

func publishFile(ctx context.Context, c *Clients, store storage.Storage, author int64, title, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	// Published like an upload: the media role makes its video and cover.
	key := storage.NewOriginalKey()
	if _, err := store.Put(ctx, key, f, 0, "application/octet-stream"); err != nil {
		return err
	}
	_, err = c.Publish.CreateVideo(ctx, &publish.CreateVideoRequest{AuthorId: author, Title: title, VideoKey: key},
		callopt.WithRPCTimeout(time.Minute))
	return err
}
