// Package users looks up user records for the gateway's pages. A record
// never changes once it exists (the API has no way to edit a profile, and no
// way to delete a user), so one found is remembered in the process: the users
// of a page already shown cost no call to the user service. Absence is never
// remembered: a user registered a moment later is found.
package users

import (
	"context"

	"tiktok/internal/cache"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/user/userservice"
)

// maxEntries bounds the memory: past it the remembered set starts afresh.
const maxEntries = 200_000

type Lookup struct {
	user  userservice.Client
	known *cache.Immutable[*base.UserInfo]
}

func New(c userservice.Client) *Lookup {
	return &Lookup{user: c, known: cache.NewImmutable[*base.UserInfo](maxEntries)}
}

// MGet returns the records of the ids that are users, asking the user service
// (one call) only for those not remembered. The records are shared: never
// modify them.
func (l *Lookup) MGet(ctx context.Context, ids []int64) (map[int64]*base.UserInfo, error) {
	return l.known.Batch(ctx, nil, "", ids, func(ctx context.Context, missing []int64) (map[int64]*base.UserInfo, error) {
		r, err := l.user.MGetUsers(ctx, &base.IdsRequest{Ids: missing})
		if err != nil {
			return nil, err
		}
		return r.Users, nil
	})
}
