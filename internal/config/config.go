// Package config loads the one YAML configuration (default.yaml, embedded) and
// lets a file and TIKTOK_* environment variables override any key.
package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/viper"
)

//go:embed default.yaml
var defaultYAML []byte

type Config struct {
	HTTP struct {
		Addr              string        `mapstructure:"addr"`
		PublicURL         string        `mapstructure:"public_url"`
		ReadHeaderTimeout time.Duration `mapstructure:"read_header_timeout"`
		ReadTimeout       time.Duration `mapstructure:"read_timeout"`
		WriteTimeout      time.Duration `mapstructure:"write_timeout"`
		IdleTimeout       time.Duration `mapstructure:"idle_timeout"`
		AnonFeedReuse     time.Duration `mapstructure:"anonymous_feed_reuse"`
		// The gateway's admission control (internal/admission).
		MaxInFlight int           `mapstructure:"max_in_flight"`
		MaxWaiting  int           `mapstructure:"max_waiting"`
		MaxWait     time.Duration `mapstructure:"max_wait"`
	} `mapstructure:"http"`
	DataDir  string `mapstructure:"data_dir"`
	Demo     bool   `mapstructure:"demo"`
	Timezone string `mapstructure:"timezone"`
	Log      struct {
		Level  string `mapstructure:"level"`
		Format string `mapstructure:"format"`
	} `mapstructure:"log"`
	Auth struct {
		Secret   string        `mapstructure:"secret"`
		TokenTTL time.Duration `mapstructure:"token_ttl"`
	} `mapstructure:"auth"`
	Upload struct {
		MaxBytes        int64         `mapstructure:"max_bytes"`
		MinRate         int64         `mapstructure:"min_rate"`
		StallTimeout    time.Duration `mapstructure:"stall_timeout"`
		PerUser         int           `mapstructure:"per_user"`
		DailyQuota      int           `mapstructure:"daily_quota"`
		DedupWindow     time.Duration `mapstructure:"dedup_window"`
		SpoolDir        string        `mapstructure:"spool_dir"`
		SpoolPerIPBytes int64         `mapstructure:"spool_per_ip_bytes"`
		SpoolTotalBytes int64         `mapstructure:"spool_total_bytes"`
		WaitReady       time.Duration `mapstructure:"wait_ready"`
		KeepOriginal    bool          `mapstructure:"keep_original"`
	} `mapstructure:"upload"`
	// Media bounds ffprobe and ffmpeg (media.LimitsFrom reads it).
	Media struct {
		Timeout     time.Duration `mapstructure:"timeout"`
		Workers     int           `mapstructure:"workers"`
		Queue       int           `mapstructure:"queue"`
		QueueWait   time.Duration `mapstructure:"queue_wait"`
		MemoryBytes int64         `mapstructure:"memory_bytes"`
		MaxSide     int           `mapstructure:"max_side"`
		MaxPixels   int64         `mapstructure:"max_pixels"`
		MaxDuration time.Duration `mapstructure:"max_duration"`
	} `mapstructure:"media"`
	// Queue is the NATS JetStream connection and the job consumer's rules
	// (internal/queue reads it).
	Queue struct {
		URL        string          `mapstructure:"url"`
		Timeout    time.Duration   `mapstructure:"timeout"`
		AckWait    time.Duration   `mapstructure:"ack_wait"`
		MaxDeliver int             `mapstructure:"max_deliver"`
		Backoff    []time.Duration `mapstructure:"backoff"`
	} `mapstructure:"queue"`
	// Transcode is the media role's output and concurrency (media.TranscodeFrom).
	Transcode struct {
		Workers      int           `mapstructure:"workers"`
		MaxLong      int           `mapstructure:"max_long"`
		MaxShort     int           `mapstructure:"max_short"`
		MaxFPS       int           `mapstructure:"max_fps"`
		VideoBitrate int64         `mapstructure:"video_bitrate"`
		AudioBitrate int64         `mapstructure:"audio_bitrate"`
		Preset       string        `mapstructure:"preset"`
		CRF          int           `mapstructure:"crf"`
		Threads      int           `mapstructure:"threads"`
		Timeout      time.Duration `mapstructure:"timeout"`
		MemoryBytes  int64         `mapstructure:"memory_bytes"`
	} `mapstructure:"transcode"`
	Database struct {
		Driver       string `mapstructure:"driver"`
		DSN          string `mapstructure:"dsn"`
		MaxOpenConns int    `mapstructure:"max_open_conns"`
	} `mapstructure:"database"`
	Storage struct {
		Driver string `mapstructure:"driver"`
		Dir    string `mapstructure:"dir"`
		MinIO  struct {
			Endpoint  string `mapstructure:"endpoint"`
			AccessKey string `mapstructure:"access_key"`
			SecretKey string `mapstructure:"secret_key"`
			Bucket    string `mapstructure:"bucket"`
			UseSSL    bool   `mapstructure:"use_ssl"`
			PublicURL string `mapstructure:"public_url"`
		} `mapstructure:"minio"`
	} `mapstructure:"storage"`
	Redis struct {
		Addr    string        `mapstructure:"addr"`
		DB      int           `mapstructure:"db"`
		TTL     time.Duration `mapstructure:"ttl"`
		Timeout time.Duration `mapstructure:"timeout"`
		Local   bool          `mapstructure:"local"`
		NearTTL time.Duration `mapstructure:"near_ttl"`
	} `mapstructure:"redis"`
	Admin struct {
		Addr          string        `mapstructure:"addr"`
		Pprof         bool          `mapstructure:"pprof"`
		Metrics       bool          `mapstructure:"metrics"`
		ShutdownDelay time.Duration `mapstructure:"shutdown_delay"`
		CheckTimeout  time.Duration `mapstructure:"check_timeout"`
	} `mapstructure:"admin"`
	Tracing struct {
		Endpoint    string  `mapstructure:"endpoint"`
		SampleRatio float64 `mapstructure:"sample_ratio"`
	} `mapstructure:"tracing"`
	RPC struct {
		Timeout        time.Duration `mapstructure:"timeout"`
		ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
		IdlePerAddress int           `mapstructure:"idle_per_address"`
		MuxConnections int           `mapstructure:"mux_connections"`
		Secret         string        `mapstructure:"secret"`
		Advertise      string        `mapstructure:"advertise"`
	} `mapstructure:"rpc"`
	Registry struct {
		Driver        string   `mapstructure:"driver"`
		EtcdEndpoints []string `mapstructure:"etcd_endpoints"`
		LeaseTTL      int      `mapstructure:"lease_ttl"`
	} `mapstructure:"registry"`
	Services map[string]string `mapstructure:"services"`
	Limits   Limits            `mapstructure:"limits"`

	// Push is the chat push to the web client (domain/chatpush, gateway).
	Push struct {
		Subject      string        `mapstructure:"subject"`
		PerUser      int           `mapstructure:"per_user"`
		Connections  int           `mapstructure:"connections"`
		Buffer       int           `mapstructure:"buffer"`
		Heartbeat    time.Duration `mapstructure:"heartbeat"`
		MaxAge       time.Duration `mapstructure:"max_age"`
		WriteTimeout time.Duration `mapstructure:"write_timeout"`
	} `mapstructure:"push"`
}

// Limits are the rate limits (the limits: section of default.yaml).
type Limits struct {
	TrustedProxies    []string  `mapstructure:"trusted_proxies"`
	LoginIP           RateLimit `mapstructure:"login_ip"`
	LoginAccount      RateLimit `mapstructure:"login_account"`
	LoginAccountHour  RateLimit `mapstructure:"login_account_hour"`
	RegisterIP        RateLimit `mapstructure:"register_ip"`
	Publish           RateLimit `mapstructure:"publish"`
	Comment           RateLimit `mapstructure:"comment"`
	Message           RateLimit `mapstructure:"message"`
	Like              RateLimit `mapstructure:"like"`
	Follow            RateLimit `mapstructure:"follow"`
	PasswordHashes    int       `mapstructure:"password_hashes"`
	PasswordHashQueue int       `mapstructure:"password_hash_queue"`
}

// RateLimit allows Rate events per Per, in bursts of up to Burst; Rate 0 is
// no limit. Its fields are ratelimit.Limit's, so one converts to the other.
type RateLimit struct {
	Rate  int           `mapstructure:"rate"`
	Per   time.Duration `mapstructure:"per"`
	Burst int           `mapstructure:"burst"`
}

// Load reads the defaults, then file (if not empty), then the environment.
func Load(file string) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(defaultYAML)); err != nil {
		return nil, fmt.Errorf("default config: %w", err)
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.MergeInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", file, err)
		}
	}
	v.SetEnvPrefix("TIKTOK")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &c, nil
}

// ServiceAddr is where service name listens in the per-role deployment:
// services.<name> from a file, else TIKTOK_SERVICES_<NAME>, else
// 127.0.0.1:defaultPort. The environment is read here because the service
// names come from the role registry, not from default.yaml, so the
// configuration loader does not know them as keys.
func (c *Config) ServiceAddr(name string, defaultPort int) string {
	if a := os.Getenv("TIKTOK_SERVICES_" + strings.ToUpper(name)); a != "" {
		return a
	}
	if a := c.Services[name]; a != "" {
		return a
	}
	return fmt.Sprintf("127.0.0.1:%d", defaultPort)
}

// Location is the configured time zone.
func (c *Config) Location() *time.Location {
	if c.Timezone == "" || c.Timezone == "Local" {
		return time.Local
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.Local
	}
	return loc
}

// PublicBase is the absolute URL of the gateway as clients reach it, no trailing slash.
func (c *Config) PublicBase() string {
	base := c.HTTP.PublicURL
	if base == "" {
		base = "http://" + c.HTTP.Addr
	}
	return strings.TrimRight(base, "/")
}

// MediaBaseURL is the absolute prefix of locally stored media.
func (c *Config) MediaBaseURL() string { return c.PublicBase() + "/media/" }
