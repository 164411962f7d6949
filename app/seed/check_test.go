package seed

import (
	"context"
	"testing"

	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/service/favorite"
)

// CheckAcked counts an acknowledged like without its row as lost and an
// acknowledged unlike with one as resurrected, and checks the counters.
func TestCheckAcked(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	fdb, err := db.Open(cfg, "favorite", favorite.Schema)
	if err != nil {
		t.Fatal(err)
	}
	err = favorite.SeedLikes(ctx, fdb, []favorite.Like{
		{UserID: 1, VideoID: 10, AuthorID: 7, CreatedAtMs: 1},
		{UserID: 2, VideoID: 10, AuthorID: 7, CreatedAtMs: 2},
	})
	db.Close(fdb)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]int64]bool{
		{1, 10}: true,  // acknowledged like, there
		{3, 10}: true,  // acknowledged like, missing: lost
		{2, 10}: false, // acknowledged unlike, still there: resurrected
		{4, 11}: false, // acknowledged unlike, gone
	}
	lost, res, err := CheckAcked(ctx, cfg, want)
	if err != nil || lost != 1 || res != 1 {
		t.Fatalf("lost %d, resurrected %d, %v", lost, res, err)
	}
}
