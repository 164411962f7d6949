package publish

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"tiktok/domain/counter"
	"tiktok/internal/db"
	"tiktok/internal/errno"
)

// Video is the videos table, owned by the publish service. created_at_ms is
// unique so that the feed's "strictly before latest_time" paging can never
// skip a video that shares a millisecond with the last one of a page.
type Video struct {
	ID          int64  `gorm:"primaryKey;autoIncrement"`
	AuthorID    int64  `gorm:"not null;index:idx_videos_author_created,priority:1"`
	Title       string `gorm:"size:400;not null"`
	VideoKey    string `gorm:"size:255;not null"`
	CoverKey    string `gorm:"size:255;not null"`
	CreatedAtMs int64  `gorm:"not null;uniqueIndex:uk_videos_created;index:idx_videos_author_created,priority:2"`
	// ContentSHA256 is the hex SHA-256 of the video's bytes ("" when not
	// known), found with author_id through idx_videos_author_sha (migration
	// 0002).
	ContentSHA256 string `gorm:"column:content_sha256;not null;default:''"`
	// State is the video's place in the pipeline (migration 0003):
	// stateReady (0, so rows from before and bulk loads are ready),
	// stateProcessing, stateFailed. Only ready rows are ever shown.
	// OriginalKey is the upload's original; Failure says why a failed
	// video failed, for its uploader. While processing, VideoKey and
	// CoverKey are empty.
	State       int8   `gorm:"not null;default:0"`
	OriginalKey string `gorm:"size:255;not null;default:''"`
	Failure     string `gorm:"size:400;not null;default:''"`
}

// The states, as stored (ppb.VideoState has the same values).
const (
	stateReady      int8 = 0
	stateProcessing int8 = 1
	stateFailed     int8 = 2
)

// ready is the condition every read that shows videos applies.
const ready = "state = 0"

// AuthorLock is a publishing author's lock row (migration 0002): see
// insertOnce.
type AuthorLock struct {
	AuthorID   int64 `gorm:"primaryKey;autoIncrement:false"`
	LockedAtMs int64 `gorm:"not null"`
}

func (AuthorLock) TableName() string { return "video_author_locks" }

type store struct{ db *gorm.DB }

// insert stores v at a publish time no earlier than atMs, moving it forward
// one millisecond at a time while another video holds that millisecond.
func (s *store) insert(q *gorm.DB, v *Video, atMs int64) error {
	v.CreatedAtMs = atMs
	for try := 0; ; try++ {
		err := q.Create(v).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) || try >= 1000 {
			return err
		}
		var last int64
		if err := q.Model(&Video{}).Select("COALESCE(MAX(created_at_ms), 0)").Scan(&last).Error; err != nil {
			return err
		}
		v.ID = 0
		v.CreatedAtMs = max(v.CreatedAtMs, last) + 1
	}
}

// uploadRules are the publish service's rules on uploads (upload.* keys).
type uploadRules struct {
	dedupWindow time.Duration // 0: no retry detection
	dailyQuota  int           // videos per author per 24 hours; 0: none
}

// quotaWindow is the daily quota's window, rolling.
const quotaWindow = 24 * time.Hour

// retried returns the video that v repeats, the same file with the same
// title by the same author published within the dedup window before atMs,
// or nil.
func (s *store) retried(q *gorm.DB, v *Video, atMs int64, r uploadRules) (*Video, error) {
	if r.dedupWindow <= 0 || v.ContentSHA256 == "" {
		return nil, nil
	}
	var first []Video
	// A failed video is no first attempt to answer: its retry is processed.
	err := q.Where("author_id = ? AND content_sha256 = ? AND created_at_ms >= ? AND title = ? AND state <> ?",
		v.AuthorID, v.ContentSHA256, atMs-r.dedupWindow.Milliseconds(), v.Title, stateFailed).
		Order("created_at_ms").Limit(1).Find(&first).Error
	if err != nil || len(first) == 0 {
		return nil, err
	}
	return &first[0], nil
}

// overQuota reports whether author published dailyQuota videos or more in
// the 24 hours before atMs. Videos in processing count (they will be
// published); failed ones do not (nothing was published, as before the
// pipeline, when a failed upload left no row).
func (s *store) overQuota(q *gorm.DB, author, atMs int64, r uploadRules) (bool, error) {
	if r.dailyQuota <= 0 {
		return false, nil
	}
	var n int64
	err := q.Model(&Video{}).Where("author_id = ? AND created_at_ms >= ? AND state <> ?", author,
		atMs-quotaWindow.Milliseconds(), stateFailed).Count(&n).Error
	return n >= int64(r.dailyQuota), err
}

// insertOnce inserts v unless it repeats an earlier publish (then it returns
// that video and inserts nothing) or its author is over the daily quota
// (errQuota). The check and the insert hold the author's lock row, taken
// first, so the author's publishes pass here one at a time on every
// instance: two racing retries of one publish make one video, and the quota
// is exact. (On MySQL the transaction's snapshot starts after the lock, at
// its first read, so it sees what the previous holder committed; SQLite
// writers are serialised anyway, see db.Write.)
func (s *store) insertOnce(ctx context.Context, v *Video, atMs int64, r uploadRules) (first *Video, err error) {
	err = db.Write(ctx, s.db, func(tx *gorm.DB) error {
		first, v.ID = nil, 0 // a retried transaction starts over
		lock := AuthorLock{AuthorID: v.AuthorID, LockedAtMs: atMs}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "author_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"locked_at_ms"}),
		}).Create(&lock).Error; err != nil {
			return err
		}
		var err error
		if first, err = s.retried(tx, v, atMs, r); err != nil || first != nil {
			return err
		}
		if over, err := s.overQuota(tx, v.AuthorID, atMs, r); err != nil {
			return err
		} else if over {
			return errQuota(r)
		}
		return s.insert(tx, v, atMs)
	})
	return first, err
}

func errQuota(r uploadRules) error {
	return errno.New(errno.CodeRateLimited, "you have published %d videos in the last 24 hours, the most allowed; please try again later",
		r.dailyQuota)
}

func (s *store) before(ctx context.Context, beforeMs int64, limit int) ([]Video, error) {
	var vs []Video
	err := s.db.WithContext(ctx).Where("created_at_ms < ? AND "+ready, beforeMs).
		Order("created_at_ms DESC").Limit(limit).Find(&vs).Error
	return vs, err
}

func (s *store) byAuthor(ctx context.Context, author int64) ([]Video, error) {
	var vs []Video
	err := s.db.WithContext(ctx).Where("author_id = ? AND "+ready, author).Order("created_at_ms DESC").Find(&vs).Error
	return vs, err
}

func (s *store) byIDs(ctx context.Context, ids []int64) (map[int64]Video, error) {
	var vs []Video
	out := make(map[int64]Video, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("id IN ? AND "+ready, ids).Find(&vs).Error
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, err
}

// workCounts counts ready videos only (idx_videos_author_state, index only).
func (s *store) workCounts(ctx context.Context, authors []int64) (map[int64]int64, error) {
	return counter.CountRows(ctx, s.db.Where(ready), &Video{}, "author_id", authors)
}

// byID returns video id in any state (nil: no such row).
func (s *store) byID(ctx context.Context, id int64) (*Video, error) {
	var vs []Video
	if err := s.db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&vs).Error; err != nil || len(vs) == 0 {
		return nil, err
	}
	return &vs[0], nil
}

// markReady moves video id from processing to ready with its objects, at a
// publish time no earlier than atMs: the feed orders by publish time, and a
// video appears when it is ready, so it is stamped then (moving on one
// millisecond at a time while another video holds that one, as insert).
// changed says this call moved it; otherwise the row is as it was (ready or
// failed already, or nil: gone).
func (s *store) markReady(ctx context.Context, id int64, videoKey, coverKey string, atMs int64) (v *Video, changed bool, err error) {
	err = db.Write(ctx, s.db, func(tx *gorm.DB) error {
		changed = false
		at := atMs
		for try := 0; ; try++ {
			r := tx.Model(&Video{}).Where("id = ? AND state = ?", id, stateProcessing).
				Updates(map[string]any{"state": stateReady, "video_key": videoKey, "cover_key": coverKey, "created_at_ms": at})
			if errors.Is(r.Error, gorm.ErrDuplicatedKey) && try < 1000 {
				var last int64
				if err := tx.Model(&Video{}).Select("COALESCE(MAX(created_at_ms), 0)").Scan(&last).Error; err != nil {
					return err
				}
				at = max(at, last) + 1
				continue
			}
			if r.Error != nil {
				return r.Error
			}
			changed = r.RowsAffected == 1
			return nil
		}
	})
	if err != nil {
		return nil, false, err
	}
	v, err = s.byID(ctx, id)
	return v, changed, err
}

// markFailed moves video id from processing to failed with reason; changed
// as markReady's.
func (s *store) markFailed(ctx context.Context, id int64, reason string) (v *Video, changed bool, err error) {
	if len(reason) > 400 {
		reason = reason[:400]
	}
	err = db.Write(ctx, s.db, func(tx *gorm.DB) error {
		r := tx.Model(&Video{}).Where("id = ? AND state = ?", id, stateProcessing).
			Updates(map[string]any{"state": stateFailed, "failure": reason})
		changed = r.RowsAffected == 1
		return r.Error
	})
	if err != nil {
		return nil, false, err
	}
	v, err = s.byID(ctx, id)
	return v, changed, err
}

// unpublish removes video id while it is processing: its job could not be
// queued, so nothing will ever process it.
func (s *store) unpublish(ctx context.Context, id int64) error {
	return db.Write(ctx, s.db, func(tx *gorm.DB) error {
		return tx.Where("id = ? AND state = ?", id, stateProcessing).Delete(&Video{}).Error
	})
}

// uploadsShown bounds an author's uploads listed (the newest).
const uploadsShown = 50

// uploads returns author's videos that are not ready, newest first.
func (s *store) uploads(ctx context.Context, author int64) ([]Video, error) {
	var vs []Video
	err := s.db.WithContext(ctx).Where("author_id = ? AND state <> ?", author, stateReady).
		Order("created_at_ms DESC").Limit(uploadsShown).Find(&vs).Error
	return vs, err
}
