// Command benchpublish is the benchmark's publish row: it publishes one clip
// over HTTP as the app does (multipart data, token, title), from several
// connections at once, each upload as a different seed user (so no per-user
// limit, quota or duplicate check meant for people is met), and measures how
// long the reply took and how long until the video was ready, watching the
// uploader's GET /douyin/publish/uploads/ when the reply came before it was.
//
// It prints one line for scripts/bench.sh:
//
//	PUBLISH uploads seconds reply_p50_ms reply_p99_ms ready_p50_ms ready_p99_ms errors [kind=count ...]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tiktok/app/seed"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the gateway")
	tokensFile := flag.String("tokens", "", "tiktok seed --tokens: \"token user_id\" lines; each upload takes the next")
	clip := flag.String("clip", "", "the video file to publish")
	conns := flag.Int("c", 2, "uploads in flight at once")
	dur := flag.Duration("d", time.Minute, "start no upload after this long")
	max := flag.Int("n", 0, "at most this many uploads (0: one per token)")
	readyBound := flag.Duration("ready-timeout", 5*time.Minute, "give an upload up after this long")
	flag.Parse()

	data, err := os.ReadFile(*clip)
	if err != nil {
		log.Fatal(err)
	}
	tokens, _, err := seed.ReadTokens(*tokensFile)
	if err != nil || len(tokens) == 0 {
		log.Fatalf("tokens: %v (%d read)", err, len(tokens))
	}
	// A token publishes at most once: the same file by the same author is a
	// retry the publish service answers with the first video.
	limit := len(tokens)
	if *max > 0 && *max < limit {
		limit = *max
	}

	var (
		next          atomic.Int64
		mu            sync.Mutex
		replies, oks  []time.Duration
		errs          = map[string]int{}
		wg            sync.WaitGroup
		start         = time.Now()
		client        = &http.Client{Timeout: *readyBound}
		run           = fmt.Sprintf("%d", start.UnixNano())
		lastReadyTime time.Time
	)
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= limit || time.Since(start) > *dur {
					return
				}
				title := fmt.Sprintf("bench %s %d", run, i)
				reply, ready, err := publish(client, *base, tokens[i], title, data, *readyBound)
				mu.Lock()
				if err != nil {
					errs[kind(err)]++
				} else {
					replies, oks = append(replies, reply), append(oks, ready)
					lastReadyTime = time.Now()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Throughput over the time the work took: from the first upload's start
	// to the last video's ready.
	secs := time.Since(start).Seconds()
	if !lastReadyTime.IsZero() {
		secs = lastReadyTime.Sub(start).Seconds()
	}
	total := 0
	var kinds []string
	for k, n := range errs {
		total += n
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	fmt.Printf("PUBLISH %d %.2f %.0f %.0f %.0f %.0f %d %s\n", len(oks), secs,
		pct(replies, 50), pct(replies, 99), pct(oks, 50), pct(oks, 99), total, strings.Join(kinds, " "))
}

type statusError struct {
	code int32
	msg  string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.code, e.msg) }

// kind names an error for the row's breakdown: a status code, "http", or
// "failed" (the media role could not process the clip) or "timeout".
func kind(err error) string {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("status_%d", se.code)
	case errors.Is(err, errFailed):
		return "failed"
	case errors.Is(err, errTimeout):
		return "timeout"
	default:
		return "http"
	}
}

var (
	errFailed  = errors.New("processing failed")
	errTimeout = errors.New("not ready in time")
)

// publish uploads data as title and returns how long the reply took and how
// long until the video was ready, both from the upload's start.
func publish(client *http.Client, base, token, title string, data []byte, bound time.Duration) (reply, ready time.Duration, err error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("token", token)
	_ = mw.WriteField("title", title)
	fw, _ := mw.CreateFormFile("data", "clip.mp4")
	_, _ = fw.Write(data)
	_ = mw.Close()

	t0 := time.Now()
	res, err := client.Post(base+"/douyin/publish/action/", mw.FormDataContentType(), &body)
	if err != nil {
		return 0, 0, err
	}
	var st struct {
		StatusCode int32  `json:"status_code"`
		StatusMsg  string `json:"status_msg"`
	}
	err = json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if err != nil {
		return 0, 0, err
	}
	if st.StatusCode != 0 {
		return 0, 0, &statusError{st.StatusCode, st.StatusMsg}
	}
	reply = time.Since(t0)
	// The reply waits for the video up to upload.wait_ready: usually it is
	// ready now; if not, it is still in the uploader's list.
	for {
		state, err := uploadState(client, base, token, title)
		if err != nil {
			return 0, 0, err
		}
		switch state {
		case "":
			if ready = time.Since(t0); reply > ready-200*time.Millisecond {
				ready = reply // ready when the reply came
			}
			return reply, ready, nil
		case "failed":
			return 0, 0, errFailed
		}
		if time.Since(t0) > bound {
			return 0, 0, errTimeout
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// uploadState is the state of the upload titled title in its uploader's
// list: "processing", "failed", or "" once it left the list (ready).
func uploadState(client *http.Client, base, token, title string) (string, error) {
	req, _ := http.NewRequest("GET", base+"/douyin/publish/uploads/?token="+url.QueryEscape(token), nil)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int32  `json:"status_code"`
		StatusMsg  string `json:"status_msg"`
		UploadList []struct {
			Title string `json:"title"`
			State string `json:"state"`
		} `json:"upload_list"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&r); err != nil {
		return "", err
	}
	if r.StatusCode != 0 {
		return "", &statusError{r.StatusCode, r.StatusMsg}
	}
	for _, u := range r.UploadList {
		if u.Title == title {
			return u.State, nil
		}
	}
	return "", nil
}

// pct is the p-th percentile of ds in milliseconds (0 without samples).
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return float64(s[i-1]) / float64(time.Millisecond)
}
