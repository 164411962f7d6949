// Command benchlike is the benchmark's like load with a ledger, for the
// fault rows of scripts/bench.sh: connections of seed users like a random
// video and then unlike it, over HTTP as the app does, while a fault is
// injected (-fault at -fault-at, -recover at -recover-at: shell commands).
// Every reply is recorded: when it failed, and for every (user, video) pair
// the last action acknowledged with status 0. Afterwards each acknowledged
// like must be a row of the likes table and each acknowledged unlike must
// have none. A pair with a request whose outcome is unknown (no reply, a
// timeout, 10009/10010: it may have been applied, even after a later
// action) is only counted as uncertain; a refusal before any work (10008,
// 10002) is not unknown. Each user belongs to one connection, so the
// requests on a pair are sent in order.
//
// It prints, for scripts/bench.sh:
//
//	LIKE requests seconds p50_ms p99_ms http_errors status_errors kinds
//	FAULT fault_at_s fault_took_s fault_ok recover_at_s recover_took_s recover_ok failed first_failure_s last_failure_s
//	ACKED acked_pairs lost resurrected uncertain
//
// failure times are seconds from the start of the load, -1 when none; *_ok
// is 1 when the command succeeded (or there was none), else 0.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"tiktok/app/seed"
	"tiktok/internal/config"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "the gateway")
	tokensFile := flag.String("tokens", "", "tiktok seed --tokens: \"token user_id\" lines")
	first := flag.Int64("first-video", 1, "video ids are first-video..last-video")
	last := flag.Int64("last-video", 1, "")
	hot := flag.Int64("hot", 0, "every action on this video (0: random videos)")
	conns := flag.Int("c", 64, "connections (each with its own users)")
	dur := flag.Duration("d", 30*time.Second, "how long the load runs")
	faultAt := flag.Duration("fault-at", 0, "when -fault runs, from the start")
	fault := flag.String("fault", "", "shell command that injects the fault (waited for)")
	recoverAt := flag.Duration("recover-at", 0, "when -recover runs, from the start")
	recov := flag.String("recover", "", "shell command that ends the fault (waited for: it returns once the component is back)")
	cfgFile := flag.String("config", "", "configuration naming the database, for the ledger check")
	dataDir := flag.String("data", "", "the embedded mode's data folder (with no -config)")
	flag.Parse()

	toks, uids, err := seed.ReadTokens(*tokensFile)
	if err != nil || len(toks) == 0 {
		log.Fatalf("tokens: %v (%d read)", err, len(toks))
	}
	c := min(*conns, len(toks))
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c, DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext},
	}
	start := time.Now()
	since := func() float64 { return time.Since(start).Seconds() }

	var faults sync.WaitGroup
	fault1, recover1 := step{at: -1, ok: 1}, step{at: -1, ok: 1}
	runAt := func(at time.Duration, cmd string, st *step) {
		if cmd == "" {
			return
		}
		faults.Go(func() {
			time.Sleep(at)
			st.at = since()
			out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
			st.took = since() - st.at
			if err != nil {
				st.ok = 0
				log.Printf("%q: %v\n%s", cmd, err, out)
			}
		})
	}
	runAt(*faultAt, *fault, &fault1)
	runAt(*recoverAt, *recov, &recover1)

	results := make([]*worker, c)
	var wg sync.WaitGroup
	for w := range c {
		wk := &worker{ledger: map[pair]*entry{}, rng: rand.New(rand.NewSource(int64(w) + 1))}
		for i := w; i < len(toks); i += c {
			wk.users = append(wk.users, &liker{token: toks[i], id: uids[i]})
		}
		results[w] = wk
		wg.Go(func() { wk.run(client, *base, *first, *last, *hot, start, *dur) })
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	faults.Wait()

	// One report over every connection.
	var lat []time.Duration
	var fails []float64
	kinds := map[string]int{}
	httpErrs, statusErrs := 0, 0
	ledger := map[pair]*entry{}
	for _, wk := range results {
		lat = append(lat, wk.lat...)
		fails = append(fails, wk.fails...)
		for k, n := range wk.kinds {
			kinds[k] += n
			if strings.HasPrefix(k, "100") || k == "other" {
				statusErrs += n
			} else {
				httpErrs += n
			}
		}
		for p, e := range wk.ledger {
			ledger[p] = e
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Float64s(fails)
	fmt.Printf("LIKE %d %.3f %.3f %.3f %d %d %s\n", len(lat), secs, ms(pct(lat, 50)), ms(pct(lat, 99)), httpErrs, statusErrs, kindList(kinds))
	firstFail, lastFail := -1.0, -1.0
	if len(fails) > 0 {
		firstFail, lastFail = fails[0], fails[len(fails)-1]
	}
	fmt.Printf("FAULT %.1f %.1f %d %.1f %.1f %d %d %.1f %.1f\n", fault1.at, fault1.took, fault1.ok,
		recover1.at, recover1.took, recover1.ok, len(fails), firstFail, lastFail)

	if *cfgFile == "" && *dataDir == "" {
		return
	}
	cfg, err := config.Load(*cfgFile)
	if err != nil {
		log.Fatal(err)
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	want := map[[2]int64]bool{}
	uncertain := 0
	for p, e := range ledger {
		if e.uncertain {
			uncertain++
			continue
		}
		if e.acked != 0 {
			want[[2]int64{p.user, p.video}] = e.acked == 1
		}
	}
	lost, resurrected, err := seed.CheckAcked(context.Background(), cfg, want)
	if err != nil {
		log.Fatalf("ledger check: %v", err)
	}
	fmt.Printf("ACKED %d %d %d %d\n", len(want), lost, resurrected, uncertain)
}

// step is when a fault command ran, how long it took, and whether it
// succeeded (1).
type step struct {
	at, took float64
	ok       int
}

// liker is a user of one connection: its token, its id, the video it liked
// last (0: none, so it likes a new one next).
type liker struct {
	token string
	id    int64
	liked int64
}

type pair struct{ user, video int64 }

// entry is what a pair's replies said: the last acknowledged action (1
// like, 2 unlike, 0 none) and whether any request on it had an unknown
// outcome (then nothing is certain of it for the rest of the run).
type entry struct {
	acked     int
	uncertain bool
}

type worker struct {
	users  []*liker
	rng    *rand.Rand
	ledger map[pair]*entry
	lat    []time.Duration
	fails  []float64 // seconds from the start
	kinds  map[string]int
}

func (wk *worker) run(client *http.Client, base string, first, last, hot int64, start time.Time, dur time.Duration) {
	wk.kinds = map[string]int{}
	for n := 0; time.Since(start) < dur; n++ {
		u := wk.users[n%len(wk.users)]
		// Like a video, then unlike that same video: both kinds of
		// acknowledgement get checked.
		v, action := u.liked, 2
		if v == 0 {
			v, action = hot, 1
			if v == 0 {
				v = first + wk.rng.Int63n(last-first+1)
			}
		}
		p := pair{u.id, v}
		e := wk.ledger[p]
		if e == nil {
			e = &entry{}
			wk.ledger[p] = e
		}
		t0 := time.Now()
		kind := like(client, base, u.token, v, action)
		wk.lat = append(wk.lat, time.Since(t0))
		if kind == "" {
			e.acked = action
			if action == 1 {
				u.liked = v
			} else {
				u.liked = 0
			}
			continue
		}
		if kind != "10008" && kind != "10002" { // those refuse before any work
			e.uncertain = true
		}
		wk.kinds[kind]++
		wk.fails = append(wk.fails, time.Since(start).Seconds())
		time.Sleep(10 * time.Millisecond) // a client backs off a little
	}
}

// like sends one action and answers "" when it was acknowledged (status 0),
// else the kind of failure: connect, timeout, read, http, or the status code.
func like(client *http.Client, base, token string, video int64, action int) string {
	u := fmt.Sprintf("%s/douyin/favorite/action/?token=%s&video_id=%d&action_type=%d", base, token, video, action)
	res, err := client.Post(u, "", nil)
	if err != nil {
		var ne net.Error
		var op *net.OpError
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return "timeout"
		case errors.As(err, &op) && op.Op == "dial":
			return "connect"
		case errors.As(err, &op) && op.Op == "write":
			return "write"
		}
		return "read"
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "http"
	}
	var r struct {
		StatusCode *int64 `json:"status_code"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.StatusCode == nil {
		return "read"
	}
	switch *r.StatusCode {
	case 0:
		return ""
	case 10002, 10008, 10009, 10010:
		return strconv.FormatInt(*r.StatusCode, 10)
	}
	return "other"
}

func kindList(k map[string]int) string {
	var parts []string
	for _, name := range []string{"connect", "read", "write", "timeout", "http", "10002", "10008", "10009", "10010", "other"} {
		parts = append(parts, fmt.Sprintf("%s:%d", name, k[name]))
	}
	return strings.Join(parts, ",")
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, len(d)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
