// Package metrics defines every Prometheus metric the roles export, in one
// place (docs/OPERATIONS.md, Metrics, lists them with their meaning), on the
// process's default registry, which each role's admin listener serves at
// /metrics. Labels take bounded values only: route templates, service and
// method names from the IDL, cache and rule names from the code, never a
// path, an id or a user's input.
package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/otel/trace"

	"tiktok/internal/buildinfo"
	"tiktok/internal/errno"
)

// Durations: 1 ms to 30 s (the publish reply waits up to upload.wait_ready).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// The gateway's HTTP side.
var (
	HTTPRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_http_requests_total",
		Help: "HTTP requests answered by the gateway, by route template, API status code and its outcome class.",
	}, []string{"route", "code", "outcome"})
	HTTPDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tiktok_http_request_duration_seconds",
		Help:    "Time from a request's arrival to its reply's last byte written, by route template; sampled requests carry their trace id as an exemplar.",
		Buckets: latencyBuckets,
	}, []string{"route"})
	HTTPInFlight = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "tiktok_http_requests_in_flight",
		Help: "HTTP requests the gateway is working on.",
	})
	UploadBytes = promauto.NewCounter(prometheus.CounterOpts{
		Name: "tiktok_http_upload_bytes_total",
		Help: "Bytes of video received by publish uploads (the data part), accepted or not.",
	})
	ChatStreams = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "tiktok_chat_streams_open",
		Help: "Chat push streams (GET /douyin/message/stream/) open on this gateway.",
	})
)

// RPC, both ends (a Kitex tracer: internal/rpc).
var (
	RPCServerRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_rpc_server_requests_total",
		Help: "RPC calls a service answered, by service, method and outcome (ok, biz_error: a documented API error, error: a failure).",
	}, []string{"service", "method", "outcome"})
	RPCServerDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tiktok_rpc_server_duration_seconds",
		Help:    "Time a service spent on an RPC call, by service and method.",
		Buckets: latencyBuckets,
	}, []string{"service", "method"})
	RPCClientRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_rpc_client_requests_total",
		Help: "RPC calls made, by the service called, method and outcome (ok, biz_error, error: timeouts, no instance, refused).",
	}, []string{"service", "method", "outcome"})
	RPCClientDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tiktok_rpc_client_duration_seconds",
		Help:    "Time an RPC call took as its caller saw it, by the service called and method.",
		Buckets: latencyBuckets,
	}, []string{"service", "method"})
)

// The Redis cache (internal/cache), by cache: the service that owns it.
var (
	CacheHits = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_cache_hits_total",
		Help: "Keys found in the cache, by cache and tier (near: this process's memory; redis).",
	}, []string{"cache", "tier"})
	CacheMisses = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_cache_misses_total",
		Help: "Keys looked up and not found (read from the database instead), by cache.",
	}, []string{"cache"})
	CacheFills = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_cache_fills_total",
		Help: "Keys written to the cache after a miss, by cache.",
	}, []string{"cache"})
	CacheInvalidations = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_cache_invalidations_total",
		Help: "Keys invalidated after a write, by cache.",
	}, []string{"cache"})
	CacheCircuitOpen = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tiktok_cache_circuit_open",
		Help: "1 while the cache's circuit to Redis is open (Redis failing: reads go to the database), else 0.",
	}, []string{"cache"})
	CacheNearEntries = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tiktok_cache_near_entries",
		Help: "Entries in the cache's in-process near cache.",
	}, []string{"cache"})
)

// Bounds (internal/ratelimit, the user service's password hashing).
var (
	AdmissionRefusals = promauto.NewCounter(prometheus.CounterOpts{
		Name: "tiktok_http_admission_refusals_total",
		Help: "API requests the gateway refused with 10008 because http.max_in_flight were in flight and no slot came free in http.max_wait (or the queue was full).",
	})
	RateLimitRefusals = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_ratelimit_refusals_total",
		Help: "Requests refused with 10008 by a rate limit, by rule (the limits.* key).",
	}, []string{"rule"})
	PasswordHashInFlight = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "tiktok_password_hashes_in_flight",
		Help: "Password hashes (argon2id) being computed.",
	})
	PasswordHashWaiting = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "tiktok_password_hashes_waiting",
		Help: "Logins and registrations waiting for a password-hash slot.",
	})
	PasswordHashRefusals = promauto.NewCounter(prometheus.CounterOpts{
		Name: "tiktok_password_hash_refusals_total",
		Help: "Logins and registrations refused with 10008 by the password-hash bound: the queue full, or no slot within the wait.",
	})
)

// The media pipeline (internal/queue, worker/media).
var (
	MediaJobs = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "tiktok_media_jobs_total",
		Help: "Media jobs a worker finished, by outcome (ready, failed: the video ended failed, retry: left for redelivery, duplicate: already done).",
	}, []string{"outcome"})
	MediaJobDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tiktok_media_job_duration_seconds",
		Help:    "Time a worker spent on one media job (probe, transcode, cover, store), by outcome.",
		Buckets: []float64{.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 900},
	}, []string{"outcome"})
	MediaJobsPublished = promauto.NewCounter(prometheus.CounterOpts{
		Name: "tiktok_media_jobs_published_total",
		Help: "Media jobs the publish service put on the queue.",
	})
)

// tiktok_build_info: which build this process runs (internal/buildinfo).
func init() {
	version, commit := buildinfo.Get()
	promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tiktok_build_info",
		Help: "Always 1; the labels say which build this process runs.",
	}, []string{"version", "commit"}).WithLabelValues(version, commit).Set(1)
}

// Outcome is the class of an API status code, the outcome label of
// tiktok_http_requests_total.
func Outcome(code int32) string {
	switch {
	case code == 0:
		return "success"
	case code == errno.CodeRateLimited:
		return "rate_limited"
	case code == errno.CodeInternal:
		return "internal_error"
	case code == errno.CodeServiceUnavailable:
		return "unavailable"
	case code > 10000 && code < 10008:
		return "client_error"
	default:
		return "other"
	}
}

// Code is an API status code as the code label: one of a fixed set.
func Code(code int32) string {
	if code == 0 || (code > 10000 && code <= errno.CodeServiceUnavailable) {
		return strconv.Itoa(int(code))
	}
	return "other"
}

// ObserveWithTrace records d on h, with ctx's trace id as the exemplar when
// the request was sampled: an operator goes from a slow bucket to its trace.
func ObserveWithTrace(ctx context.Context, h prometheus.Observer, d time.Duration) {
	secs := d.Seconds()
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		if eo, ok := h.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(secs, prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	h.Observe(secs)
}
