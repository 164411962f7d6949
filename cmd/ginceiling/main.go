// Command ginceiling measures the ceiling of the HTTP layer for the benchmark:
// Gin answering an empty JSON handler (/empty) and encoding a prebuilt
// 30-video feed page from memory (/feed), with the gateway's own encoder.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18099", "listen address")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	type page struct {
		StatusCode int32            `json:"status_code"`
		StatusMsg  string           `json:"status_msg"`
		VideoList  []*compose.Video `json:"video_list"`
		NextTime   int64            `json:"next_time"`
	}
	p := page{StatusMsg: "success", NextTime: 1795870000000}
	for i := 0; i < 30; i++ {
		p.VideoList = append(p.VideoList, &compose.Video{
			ID: int64(1000 + i), Title: fmt.Sprintf("Seed video %d", i),
			PlayURL:       "http://127.0.0.1:8080/media/videos/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0.mp4",
			CoverURL:      "http://127.0.0.1:8080/media/covers/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0.jpg",
			FavoriteCount: 12, CommentCount: 5,
			Author: &compose.User{ID: int64(i + 1), Name: fmt.Sprintf("seed_user_%04d", i+1), FollowCount: 5, FollowerCount: 7,
				Avatar:          fmt.Sprintf("http://127.0.0.1:8080/static/avatar/%d.png", i+1),
				BackgroundImage: fmt.Sprintf("http://127.0.0.1:8080/static/background/%d.png", i+1),
				TotalFavorited:  40, WorkCount: 2, FavoriteCount: 20},
		})
	}
	r.GET("/empty", func(c *gin.Context) { c.PureJSON(http.StatusOK, gin.H{"status_code": 0, "status_msg": "success"}) })
	r.GET("/feed", func(c *gin.Context) { c.PureJSON(http.StatusOK, &p) })
	log.Fatal(http.ListenAndServe(*addr, r))
}
