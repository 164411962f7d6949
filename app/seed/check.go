package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/service/favorite"
)

// CheckLikes pages through the whole feed at base and compares every video's
// favorite_count with the COUNT of its rows in the likes table. It returns
// how many videos it compared.
func CheckLikes(ctx context.Context, cfg *config.Config, base string) (int, error) {
	fdb, err := db.Open(cfg, "favorite", favorite.Schema)
	if err != nil {
		return 0, err
	}
	defer db.Close(fdb)
	var rows []struct {
		VideoID int64
		N       int64
	}
	if err := fdb.WithContext(ctx).Model(&favorite.Like{}).Select("video_id, COUNT(*) AS n").Group("video_id").Scan(&rows).Error; err != nil {
		return 0, err
	}
	want := make(map[int64]int64, len(rows))
	for _, r := range rows {
		want[r.VideoID] = r.N
	}
	client := &http.Client{Timeout: 30 * time.Second}
	seen := map[int64]bool{}
	var next int64
	bad := 0
	for {
		url := base + "/douyin/feed/"
		if next > 0 {
			url += fmt.Sprintf("?latest_time=%d", next)
		}
		res, err := client.Get(url)
		if err != nil {
			return len(seen), err
		}
		var page struct {
			StatusCode int64 `json:"status_code"`
			VideoList  []struct {
				ID            int64 `json:"id"`
				FavoriteCount int64 `json:"favorite_count"`
			} `json:"video_list"`
			NextTime int64 `json:"next_time"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || page.StatusCode != 0 {
			return len(seen), fmt.Errorf("feed page: status %d, %v", page.StatusCode, err)
		}
		fresh := 0
		for _, v := range page.VideoList {
			if seen[v.ID] {
				continue
			}
			seen[v.ID] = true
			fresh++
			if v.FavoriteCount != want[v.ID] {
				bad++
				if bad <= 10 {
					fmt.Printf("video %d: favorite_count %d, likes rows %d\n", v.ID, v.FavoriteCount, want[v.ID])
				}
			}
		}
		if fresh == 0 { // the feed wrapped around: every video seen
			break
		}
		next = page.NextTime
	}
	if bad > 0 {
		return len(seen), fmt.Errorf("%d of %d videos have a favorite_count that differs from their likes", bad, len(seen))
	}
	return len(seen), nil
}

// CheckAcked compares what a load was told with the likes table: want maps
// each (user, video) pair to whether its last acknowledged action was a
// like. It answers how many acknowledged likes have no row (lost) and how
// many acknowledged unlikes still have one (resurrected), then checks that
// every counter equals its rows.
func CheckAcked(ctx context.Context, cfg *config.Config, want map[[2]int64]bool) (lost, resurrected int, err error) {
	fdb, err := db.Open(cfg, "favorite", favorite.Schema)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close(fdb)
	byUser := map[int64][]int64{}
	for p := range want {
		byUser[p[0]] = append(byUser[p[0]], p[1])
	}
	users := make([]int64, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	have := map[[2]int64]bool{}
	for i := 0; i < len(users); i += 500 {
		var rows []favorite.Like
		if err := fdb.WithContext(ctx).Select("user_id", "video_id").Where("user_id IN ?", users[i:min(i+500, len(users))]).
			Find(&rows).Error; err != nil {
			return 0, 0, err
		}
		for _, r := range rows {
			have[[2]int64{r.UserID, r.VideoID}] = true
		}
	}
	for p, liked := range want {
		switch {
		case liked && !have[p]:
			lost++
		case !liked && have[p]:
			resurrected++
		}
	}
	return lost, resurrected, favorite.CheckCounters(ctx, fdb)
}
