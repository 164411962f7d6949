package relation

import (
	"context"
	"testing"

	"tiktok/internal/testdb"
)

func TestFollowsFriendsAndCounts(t *testing.T) {
	s := &store{db: testdb.Open(t, "relation", Schema)}
	ctx := context.Background()
	f := func(a, b, at int64) {
		if err := s.follow(ctx, &Follow{FollowerID: a, FolloweeID: b, CreatedAtMs: at}); err != nil {
			t.Fatal(err)
		}
	}
	f(1, 2, 1)
	f(1, 2, 2) // duplicate: no-op
	f(2, 1, 3)
	f(1, 3, 4)
	f(4, 1, 5)
	if ids, _ := s.friends(ctx, 1); len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("friends of 1: %v", ids)
	}
	if ids, _ := s.followees(ctx, 1); len(ids) != 2 || ids[0] != 3 {
		t.Fatalf("followees newest first: %v", ids)
	}
	if ids, _ := s.followers(ctx, 1); len(ids) != 2 || ids[0] != 4 {
		t.Fatalf("followers newest first: %v", ids)
	}
	follows, _ := s.counts("follows")(ctx, []int64{1, 2, 3})
	followers, _ := s.counts("followers")(ctx, []int64{1, 2, 3})
	if follows[1] != 2 || follows[2] != 1 || follows[3] != 0 || followers[1] != 2 || followers[2] != 1 || followers[3] != 1 {
		t.Fatalf("counts %v %v", follows, followers)
	}
	s.unfollow(ctx, 2, 1)
	s.unfollow(ctx, 2, 1) // not followed any more: no change
	if ids, _ := s.friends(ctx, 1); len(ids) != 0 {
		t.Fatalf("friends after unfollow: %v", ids)
	}
	if f, _ := s.counts("followers")(ctx, []int64{1}); f[1] != 1 {
		t.Fatalf("followers after unfollow: %v", f)
	}
}
