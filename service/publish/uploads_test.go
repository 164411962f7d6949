package publish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tiktok/internal/errno"
	"tiktok/internal/storage"
	"tiktok/internal/testdb"
	ppb "tiktok/kitex_gen/publish"
)

var sumA, sumB = strings.Repeat("a", 64), strings.Repeat("b", 64)

// eachDialect runs f on SQLite and on MariaDB.
func eachDialect(t *testing.T, f func(t *testing.T, s *store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, &store{db: testdb.Open(t, "publish", Schema)}) })
	t.Run("mysql", func(t *testing.T) { f(t, &store{db: testdb.OpenMySQL(t, "publish", Schema)}) })
}

func TestRetryAnswersTheFirstVideo(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store) {
		ctx := context.Background()
		rules := uploadRules{dedupWindow: 10 * time.Minute}
		insert := func(author int64, title, sum string, at time.Duration) (*Video, *Video) {
			v := &Video{AuthorID: author, Title: title, VideoKey: "videos/k", CoverKey: "covers/k", ContentSHA256: sum}
			first, err := s.insertOnce(ctx, v, 1e12+at.Milliseconds(), rules)
			if err != nil {
				t.Fatal(err)
			}
			return v, first
		}
		a, _ := insert(1, "t", sumA, 0)
		if _, first := insert(1, "t", sumA, 9*time.Minute); first == nil || first.ID != a.ID {
			t.Fatalf("a retry within the window made a new video (first %v)", first)
		}
		for _, c := range []struct {
			name       string
			author     int64
			title, sum string
			at         time.Duration
		}{
			{"another title", 1, "t2", sumA, time.Minute},
			{"another file", 1, "t", sumB, time.Minute},
			{"another author", 2, "t", sumA, time.Minute},
			{"after the window", 1, "t", sumA, 11 * time.Minute},
			{"no hash", 1, "t", "", time.Minute},
		} {
			if v, first := insert(c.author, c.title, c.sum, c.at); first != nil || v.ID == a.ID {
				t.Fatalf("%s: answered video %d", c.name, first.ID)
			}
		}
	})
}

// Retries racing each other (and their first attempt) make one video, on
// either database: the author's lock row lets one through at a time.
func TestRacingRetriesMakeOneVideo(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store) {
		ctx := context.Background()
		rules := uploadRules{dedupWindow: 10 * time.Minute, dailyQuota: 100}
		const racers = 12
		ids := make([]int64, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := &Video{AuthorID: 5, Title: "same", VideoKey: fmt.Sprintf("videos/%d", i), CoverKey: "c", ContentSHA256: sumA}
				first, err := s.insertOnce(ctx, v, time.Now().UnixMilli(), rules)
				if err != nil {
					t.Error(err)
					return
				}
				if first != nil {
					v = first
				}
				ids[i] = v.ID
			}()
		}
		wg.Wait()
		var n int64
		s.db.Model(&Video{}).Where("author_id = 5").Count(&n)
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("racing retries answered different videos: %v", ids)
			}
		}
		if n != 1 {
			t.Fatalf("racing retries made %d videos", n)
		}
	})
}

// The daily quota counts the author's videos of the last 24 hours, exactly
// even when publishes race.
func TestDailyQuota(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store) {
		ctx := context.Background()
		rules := uploadRules{dailyQuota: 3}
		now := time.Now().UnixMilli()
		old := &Video{AuthorID: 9, Title: "yesterday", VideoKey: "v", CoverKey: "c"}
		if _, err := s.insertOnce(ctx, old, now-quotaWindow.Milliseconds()-1, rules); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		refused := 0
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := &Video{AuthorID: 9, Title: fmt.Sprint(i), VideoKey: "v", CoverKey: "c"}
				_, err := s.insertOnce(ctx, v, now, rules)
				if c, _ := errno.From(err); c == errno.CodeRateLimited {
					mu.Lock()
					refused++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if refused != 3 {
			t.Fatalf("6 publishes against a quota of 3 (an older video not counted): %d refused", refused)
		}
		if over, err := s.overQuota(s.db, 9, now, rules); !over || err != nil {
			t.Fatalf("overQuota: %v %v", over, err)
		}
		if over, _ := s.overQuota(s.db, 10, now, rules); over {
			t.Fatal("another author is not over")
		}
	})
}

// CreateVideo answers a retry of a finished publish before probing it (no
// ffmpeg runs here) and removes the retry's upload, never the first's.
func TestCreateVideoAnswersARetryBeforeProbing(t *testing.T) {
	objects, err := storage.NewLocal(t.TempDir(), "http://x/media/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, _, _ := testService(t, objects, Options{DedupWindow: 10 * time.Minute, DailyQuota: 2})
	first := &Video{AuthorID: 3, Title: "t", OriginalKey: "originals/first", VideoKey: "videos/first.mp4",
		CoverKey: "covers/first.jpg", ContentSHA256: sumA}
	if _, err := s.rows.insertOnce(ctx, first, time.Now().UnixMilli(), s.rules); err != nil {
		t.Fatal(err)
	}
	put := func(key string) {
		if _, err := objects.Put(ctx, key, strings.NewReader("bytes"), 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(key string) bool {
		_, err := os.Stat(filepath.Join(objects.Dir, key))
		return err == nil
	}
	put("videos/first.mp4")
	put("originals/first")
	put("originals/retry")
	r, err := s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 3, Title: "t", VideoKey: "originals/retry", ContentSha256: sumA})
	if err != nil || r.Video.Id != first.ID {
		t.Fatalf("retry: %v, %v", r, err)
	}
	if exists("originals/retry") || !exists("videos/first.mp4") {
		t.Fatal("the retry's upload must go, the first's video stay")
	}
	// The very same original's key sent again must not delete it.
	if _, err := s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 3, Title: "t", VideoKey: "originals/first",
		ContentSha256: sumA}); err != nil || !exists("originals/first") {
		t.Fatalf("same key again: %v, exists %v", err, exists("originals/first"))
	}
	// Over the quota: 10008 before probing, the upload removed.
	second := &Video{AuthorID: 3, Title: "u", VideoKey: "videos/second.mp4", CoverKey: "c"}
	if _, err := s.rows.insertOnce(ctx, second, time.Now().UnixMilli(), s.rules); err != nil {
		t.Fatal(err)
	}
	put("originals/third")
	_, err = s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 3, Title: "v", VideoKey: "originals/third", ContentSha256: sumB})
	if c, _ := errno.From(err); c != errno.CodeRateLimited || exists("originals/third") {
		t.Fatalf("over the quota: %v, upload kept %v", err, exists("originals/third"))
	}
	if _, err := s.CheckUpload(ctx, &ppb.CheckUploadRequest{AuthorId: 3}); err == nil {
		t.Fatal("CheckUpload let an author over the quota upload")
	}
	if _, err := s.CheckUpload(ctx, &ppb.CheckUploadRequest{AuthorId: 4}); err != nil {
		t.Fatal(err)
	}
}
