// Package seed loads the benchmark dataset into whichever database the
// configuration names, through each service's own storage code: 1,000 users,
// 2,000 videos (one real video and cover shared by all), 20,000 likes,
// 10,000 comments and 5,000 follows, or that shape times --scale (at 100:
// 100,000 users ... 2,000,000 likes). Counters need no fixing up: they are
// counts of these rows.
package seed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"tiktok/app"
	"tiktok/domain/media"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/service/comment"
	"tiktok/service/favorite"
	"tiktok/service/publish"
	"tiktok/service/relation"
	"tiktok/service/user"
)

// Sizes of the dataset; Options can shrink them for a smoke run.
type Options struct {
	Users, Videos, Likes, Comments, Follows int
}

// Full is the dataset the benchmark is defined on.
var Full = Options{Users: 1000, Videos: 2000, Likes: 20000, Comments: 10000, Follows: 5000}

// Small is the smoke run's: little data, but users enough that its load,
// which runs as fast as the full one, stays within every per-user limit.
var Small = Options{Users: 2000, Videos: 40, Likes: 200, Comments: 120, Follows: 60}

// Times is the same shape n times larger.
func (o Options) Times(n int) Options {
	return Options{Users: o.Users * n, Videos: o.Videos * n, Likes: o.Likes * n, Comments: o.Comments * n, Follows: o.Follows * n}
}

const Password = "pass123456"

// Summary tells the load generator what it needs to know.
type Summary struct {
	Users     int    `json:"users"`
	Videos    int    `json:"videos"`
	Likes     int    `json:"likes"`
	Comments  int    `json:"comments"`
	Follows   int    `json:"follows"`
	HotVideo  int64  `json:"hot_video"`      // the video with the most comments
	HotCount  int    `json:"hot_comments"`   // its comment count
	FirstID   int64  `json:"first_video_id"` // video ids are FirstID..LastID
	LastID    int64  `json:"last_video_id"`
	FirstUser int64  `json:"first_user_id"` // user ids are FirstUser..LastUser
	LastUser  int64  `json:"last_user_id"`
	Password  string `json:"password"`
	Took      string `json:"took"`
}

// UserName is the name of the i-th seed user (from 1).
func UserName(i int) string { return fmt.Sprintf("seed_user_%04d", i) }

var ErrSeeded = errors.New("the dataset is already loaded (seed_user_0001 exists)")

func Run(ctx context.Context, cfg *config.Config, o Options) (*Summary, error) {
	start := time.Now()
	rng := rand.New(rand.NewSource(1))
	open := func(svc string, schema fs.FS) (*gorm.DB, error) { return db.Open(cfg, svc, schema) }
	udb, err := open("user", user.Schema)
	if err != nil {
		return nil, err
	}
	defer db.Close(udb)
	if ok, err := user.Exists(ctx, udb, UserName(1)); err != nil {
		return nil, err
	} else if ok {
		return nil, ErrSeeded
	}
	names := make([]string, o.Users)
	for i := range names {
		names[i] = UserName(i + 1)
	}
	users, err := user.SeedUsers(ctx, udb, names, Password)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}

	pdb, err := open("publish", publish.Schema)
	if err != nil {
		return nil, err
	}
	defer db.Close(pdb)
	store, err := app.NewStorage(cfg)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "seed-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	sample := filepath.Join(tmp, "seed.mp4")
	if err := media.MakeSample(ctx, sample, "testsrc2", 3); err != nil {
		return nil, err
	}
	videos, err := publish.SeedVideos(ctx, pdb, store, users, o.Videos, sample)
	if err != nil {
		return nil, fmt.Errorf("videos: %w", err)
	}
	author := func(i int) int64 { return users[i%len(users)] }

	// Likes: seed_user_0001 likes the 120 newest videos; the rest at random.
	likes := make([]favorite.Like, 0, o.Likes)
	seen := map[[2]int64]bool{}
	addLike := func(u int64, vi int) {
		k := [2]int64{u, videos[vi]}
		if seen[k] {
			return
		}
		seen[k] = true
		likes = append(likes, favorite.Like{UserID: u, VideoID: videos[vi], AuthorID: author(vi),
			CreatedAtMs: time.Now().UnixMilli() - int64(o.Likes-len(likes))})
	}
	for i := 0; i < 120 && i < len(videos); i++ {
		addLike(users[0], len(videos)-1-i)
	}
	for len(likes) < o.Likes && len(likes) < len(users)*len(videos) {
		addLike(users[rng.Intn(len(users))], rng.Intn(len(videos)))
	}
	fdb, err := open("favorite", favorite.Schema)
	if err != nil {
		return nil, err
	}
	defer db.Close(fdb)
	if err := favorite.SeedLikes(ctx, fdb, likes); err != nil {
		return nil, fmt.Errorf("likes: %w", err)
	}

	// Comments: the newest video gets 60, the rest land at random.
	hot, hotN := videos[len(videos)-1], min(60, o.Comments)
	cs := make([]comment.Comment, 0, o.Comments)
	for i := 0; i < o.Comments; i++ {
		v := hot
		if i >= hotN {
			v = videos[rng.Intn(len(videos))]
		}
		cs = append(cs, comment.Comment{VideoID: v, UserID: users[rng.Intn(len(users))],
			Content: fmt.Sprintf("Seed comment %d 👍", i+1), CreatedAtMs: time.Now().UnixMilli() - int64(o.Comments-i)})
	}
	cdb, err := open("comment", comment.Schema)
	if err != nil {
		return nil, err
	}
	defer db.Close(cdb)
	if err := comment.SeedComments(ctx, cdb, cs); err != nil {
		return nil, fmt.Errorf("comments: %w", err)
	}

	// Follows: seed_user_0001 follows the next 60 users; the rest at random.
	fs := make([]relation.Follow, 0, o.Follows)
	fseen := map[[2]int64]bool{}
	addFollow := func(a, b int64) {
		k := [2]int64{a, b}
		if a == b || fseen[k] {
			return
		}
		fseen[k] = true
		fs = append(fs, relation.Follow{FollowerID: a, FolloweeID: b, CreatedAtMs: time.Now().UnixMilli() - int64(o.Follows-len(fs))})
	}
	for i := 1; i <= 60 && i < len(users); i++ {
		addFollow(users[0], users[i])
	}
	for len(fs) < o.Follows && len(fs) < len(users)*(len(users)-1) {
		addFollow(users[rng.Intn(len(users))], users[rng.Intn(len(users))])
	}
	rdb, err := open("relation", relation.Schema)
	if err != nil {
		return nil, err
	}
	defer db.Close(rdb)
	if err := relation.SeedFollows(ctx, rdb, fs); err != nil {
		return nil, fmt.Errorf("follows: %w", err)
	}

	// Rows were written under the services' feet: drop what they cached.
	if cfg.Redis.Addr != "" {
		c := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr, DB: cfg.Redis.DB})
		err := c.FlushDB(ctx).Err()
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("flush cache: %w", err)
		}
	}
	return &Summary{Users: len(users), Videos: len(videos), Likes: len(likes), Comments: len(cs), Follows: len(fs),
		HotVideo: hot, HotCount: hotN, FirstID: videos[0], LastID: videos[len(videos)-1],
		FirstUser: users[0], LastUser: users[len(users)-1], Password: Password,
		Took: time.Since(start).Round(time.Millisecond).String()}, nil
}

// WriteTokens writes "token user_id" lines for the first n seed users (all
// of them when n is larger): tokens signed with the deployment's key, as
// login would give them, so that a load over thousands of users needs no
// thousands of logins (each a slow password hash) first.
func WriteTokens(ctx context.Context, cfg *config.Config, w io.Writer, n int) error {
	if cfg.Auth.Secret == "" && cfg.Database.Driver != "sqlite" {
		// The roles refuse to start without it: a key made here would sign
		// tokens no gateway accepts.
		return errors.New("auth.secret (TIKTOK_AUTH_SECRET) is not set: the deployment's key is needed to sign tokens")
	}
	key, err := app.TokenKey(cfg)
	if err != nil {
		return err
	}
	tokens := auth.New(key, cfg.Auth.TokenTTL)
	udb, err := db.Open(cfg, "user", user.Schema)
	if err != nil {
		return err
	}
	defer db.Close(udb)
	names := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		names = append(names, UserName(i))
	}
	ids, err := user.IDsByName(ctx, udb, names)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for _, name := range names {
		id, ok := ids[name]
		if !ok {
			break // past the last seed user
		}
		t, err := tokens.Sign(id)
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "%s %d\n", t, id)
	}
	return bw.Flush()
}

// ReadTokens reads what WriteTokens wrote: the tokens and their users' ids.
func ReadTokens(path string) ([]string, []int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var toks []string
	var ids []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		id, err := strconv.ParseInt(fs[len(fs)-1], 10, 64)
		if len(fs) != 2 || err != nil {
			return nil, nil, fmt.Errorf("%s: %q is not \"token user_id\"", path, sc.Text())
		}
		toks, ids = append(toks, fs[0]), append(ids, id)
	}
	return toks, ids, sc.Err()
}
