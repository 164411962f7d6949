package publish

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"tiktok/domain/media"
	"tiktok/internal/storage"
)

// SeedVideos stores one real video and its cover, then inserts n video rows
// that all point at them, by authors in turn, published one second apart
// (newest last). It returns the ids in publish order.
func SeedVideos(ctx context.Context, db *gorm.DB, st storage.Storage, authors []int64, n int, sample string) ([]int64, error) {
	info, err := media.Probe(ctx, sample)
	if err != nil {
		return nil, err
	}
	base := uuid.NewString()
	videoKey, coverKey := "videos/"+base+".mp4", "covers/"+base+".jpg"
	f, err := os.Open(sample)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := st.Put(ctx, videoKey, f, 0, "video/mp4"); err != nil {
		return nil, err
	}
	cover, err := os.CreateTemp("", "seed-cover-*.jpg")
	if err != nil {
		return nil, err
	}
	cover.Close()
	defer os.Remove(cover.Name())
	if err := media.Cover(ctx, sample, cover.Name(), info); err != nil {
		return nil, err
	}
	cf, err := os.Open(cover.Name())
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	if _, err := st.Put(ctx, coverKey, cf, 0, "image/jpeg"); err != nil {
		return nil, err
	}
	start := time.Now().Add(-time.Duration(n) * time.Second).UnixMilli()
	vs := make([]Video, n)
	for i := range vs {
		vs[i] = Video{AuthorID: authors[i%len(authors)], Title: "Seed video " + strconv.Itoa(i+1),
			VideoKey: videoKey, CoverKey: coverKey, CreatedAtMs: start + int64(i)*1000}
	}
	if err := db.WithContext(ctx).CreateInBatches(vs, 500).Error; err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i, v := range vs {
		ids[i] = v.ID
	}
	return ids, nil
}
