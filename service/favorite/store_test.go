package favorite

import (
	"context"
	"strings"
	"sync"
	"testing"

	"tiktok/internal/testdb"
	"tiktok/kitex_gen/publish/publishservice"
)

func TestLikeIsIdempotentAndCountsAreRows(t *testing.T) {
	s := &store{db: testdb.Open(t, "favorite", Schema)}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ { // the same like, racing with itself
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := s.like(ctx, &Like{UserID: 1, VideoID: 10, AuthorID: 7, CreatedAtMs: int64(i)}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	s.like(ctx, &Like{UserID: 2, VideoID: 10, AuthorID: 7, CreatedAtMs: 100})
	s.like(ctx, &Like{UserID: 2, VideoID: 11, AuthorID: 8, CreatedAtMs: 200})
	byVideo, _ := s.videoCounts(ctx, []int64{10, 11, 12})
	if byVideo[10] != 2 || byVideo[11] != 1 || byVideo[12] != 0 {
		t.Fatalf("video counts %v", byVideo)
	}
	byAuthor, _ := s.receivedCounts(ctx, []int64{7, 8})
	if byAuthor[7] != 2 || byAuthor[8] != 1 {
		t.Fatalf("author counts %v", byAuthor)
	}
	if ids, _ := s.videoIDsOf(ctx, 2); len(ids) != 2 || ids[0] != 11 {
		t.Fatalf("most recent first: %v", ids)
	}
	s.unlike(ctx, 1, 10)
	s.unlike(ctx, 1, 10)
	if byVideo, _ = s.videoCounts(ctx, []int64{10}); byVideo[10] != 1 {
		t.Fatalf("after unlike %v", byVideo)
	}
	given, _ := s.givenCounts(ctx, []int64{1, 2})
	if given[1] != 0 || given[2] != 2 {
		t.Fatalf("given %v", given)
	}
	// A rebuild from the rows agrees with the counters kept along the way.
	before, _ := s.receivedCounts(ctx, []int64{7, 8})
	if err := s.rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := s.receivedCounts(ctx, []int64{7, 8})
	if before[7] != after[7] || before[8] != after[8] {
		t.Fatalf("rebuild %v != kept %v", after, before)
	}
}

// A database whose likes predate the counter tables gets its counters built
// once at start, and then agrees with the rows.
func TestCountersBuiltForOldData(t *testing.T) {
	gdb := testdb.Open(t, "favorite", Schema)
	ctx := context.Background()
	gdb.Create(&[]Like{{UserID: 1, VideoID: 5, AuthorID: 9, CreatedAtMs: 1}, {UserID: 2, VideoID: 5, AuthorID: 9, CreatedAtMs: 2}})
	gdb.Exec("DELETE FROM video_like_counts") // as if the rows came before the counters
	gdb.Exec("DELETE FROM user_like_counts")
	s, err := New(ctx, Options{DB: gdb, Publish: noVideos{}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := s.st.videoCounts(ctx, []int64{5})
	recv, _ := s.st.receivedCounts(ctx, []int64{9})
	if n[5] != 2 || recv[9] != 2 {
		t.Fatalf("counters after start: %v %v", n, recv)
	}
}

// A like of one's own video moves both of that user's counters, once.
func TestLikeOwnVideo(t *testing.T) {
	s := &store{db: testdb.Open(t, "favorite", Schema)}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := s.like(ctx, &Like{UserID: 5, VideoID: 50, AuthorID: 5, CreatedAtMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	given, _ := s.givenCounts(ctx, []int64{5})
	recv, _ := s.receivedCounts(ctx, []int64{5})
	if given[5] != 1 || recv[5] != 1 {
		t.Fatalf("given %v received %v", given, recv)
	}
	s.unlike(ctx, 5, 50)
	given, _ = s.givenCounts(ctx, []int64{5})
	recv, _ = s.receivedCounts(ctx, []int64{5})
	if given[5] != 0 || recv[5] != 0 {
		t.Fatalf("after unlike: given %v received %v", given, recv)
	}
}

// CheckCounters (the benchmark's check) passes while the counters are the
// rows' counts, and names a counter off by one, and rows with no counter.
func TestCheckCounters(t *testing.T) {
	db := testdb.Open(t, "favorite", Schema)
	s := &store{db: db}
	ctx := context.Background()
	s.like(ctx, &Like{UserID: 1, VideoID: 10, AuthorID: 7, CreatedAtMs: 1})
	s.like(ctx, &Like{UserID: 2, VideoID: 10, AuthorID: 7, CreatedAtMs: 2})
	s.like(ctx, &Like{UserID: 2, VideoID: 11, AuthorID: 8, CreatedAtMs: 3})
	if err := CheckCounters(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Exec("UPDATE video_like_counts SET n = n + 1 WHERE video_id = 10")
	if err := CheckCounters(ctx, db); err == nil || !strings.Contains(err.Error(), "video_like_counts") {
		t.Fatalf("a video counter off by one: %v", err)
	}
	db.Exec("UPDATE video_like_counts SET n = n - 1 WHERE video_id = 10")
	db.Exec("DELETE FROM user_like_counts WHERE user_id = 8")
	if err := CheckCounters(ctx, db); err == nil || !strings.Contains(err.Error(), "user_like_counts") {
		t.Fatalf("an author's counter missing: %v", err)
	}
}

// noVideos stands in for the publish client where no video is looked up.
type noVideos struct{ publishservice.Client }

// A required dependency missing is an error at construction, not a nil
// dereference at the first call.
func TestNewRequiresItsDependencies(t *testing.T) {
	ctx := context.Background()
	if _, err := New(ctx, Options{Publish: noVideos{}}); err == nil {
		t.Error("built without a database")
	}
	if _, err := New(ctx, Options{DB: testdb.Open(t, "favorite", Schema)}); err == nil {
		t.Error("built without a publish client")
	}
}
