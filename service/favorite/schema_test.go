package favorite_test

import (
	"testing"

	"tiktok/internal/testdb"
	"tiktok/service/favorite"
)

// The migrations are the tables' only description; the models must fit them
// on both dialects.
func TestSchemaFitsModels(t *testing.T) {
	testdb.CheckSchema(t, "favorite", favorite.Schema, &favorite.Like{}, &favorite.VideoLikes{}, &favorite.UserLikes{})
}

// The likes table's triggers move the counters, in SQLite as in MySQL.
func TestTriggersCountLikes(t *testing.T) {
	gdb := testdb.Open(t, "favorite", favorite.Schema)
	for _, l := range []favorite.Like{{UserID: 1, VideoID: 10, AuthorID: 100, CreatedAtMs: 1}, {UserID: 2, VideoID: 10, AuthorID: 100, CreatedAtMs: 2}} {
		if err := gdb.Create(&l).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := gdb.Where("user_id = ?", 1).Delete(&favorite.Like{}).Error; err != nil {
		t.Fatal(err)
	}
	var v favorite.VideoLikes
	var u favorite.UserLikes
	if err := gdb.Take(&v, "video_id = ?", 10).Error; err != nil || v.N != 1 {
		t.Fatalf("video 10: %+v %v, want 1 like", v, err)
	}
	if err := gdb.Take(&u, "user_id = ?", 100).Error; err != nil || u.Received != 1 {
		t.Fatalf("author 100: %+v %v, want 1 received", u, err)
	}
}
