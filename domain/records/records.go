// Package records looks up records that another service owns and that never
// change once they exist: user profiles (the API has no way to edit one or to
// delete a user) and videos (nor one of those). A record found is remembered
// in the process, so a hot one costs no call to its service; absence is never
// remembered, so a record created a moment later is found.
package records

import (
	"context"

	"tiktok/internal/cache"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/user/userservice"
)

// maxEntries bounds the memory of each lookup: past it, it starts afresh.
const maxEntries = 200_000

// Lookup finds records by id through their service, in one call for the ids
// not remembered. The records are shared: never modify them.
type Lookup[T any] struct {
	known *cache.Immutable[T]
	fetch func(context.Context, []int64) (map[int64]T, error)
}

func newLookup[T any](fetch func(context.Context, []int64) (map[int64]T, error)) *Lookup[T] {
	return &Lookup[T]{known: cache.NewImmutable[T](maxEntries), fetch: fetch}
}

// Users looks up user records (the gateway's pages).
func Users(c userservice.Client) *Lookup[*base.UserInfo] {
	return newLookup(func(ctx context.Context, ids []int64) (map[int64]*base.UserInfo, error) {
		r, err := c.MGetUsers(ctx, &base.IdsRequest{Ids: ids})
		if err != nil {
			return nil, err
		}
		return r.Users, nil
	})
}

// Videos looks up video records (favorite and comment: a like or a comment
// needs the video to exist, and its author).
func Videos(c publishservice.Client) *Lookup[*base.VideoInfo] {
	return newLookup(func(ctx context.Context, ids []int64) (map[int64]*base.VideoInfo, error) {
		r, err := c.MGetVideos(ctx, &base.IdsRequest{Ids: ids})
		if err != nil {
			return nil, err
		}
		out := make(map[int64]*base.VideoInfo, len(r.Videos))
		for _, v := range r.Videos {
			out[v.Id] = v
		}
		return out, nil
	})
}

// MGet returns the records of the ids that exist.
func (l *Lookup[T]) MGet(ctx context.Context, ids []int64) (map[int64]T, error) {
	return l.known.Batch(ctx, nil, "", ids, l.fetch)
}

// Get returns the record of id; false when there is none.
func (l *Lookup[T]) Get(ctx context.Context, id int64) (T, bool, error) {
	got, err := l.MGet(ctx, []int64{id})
	v, ok := got[id]
	return v, ok, err
}
