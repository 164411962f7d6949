package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "127.0.0.1:8080" || c.Upload.MaxBytes != 256<<20 || c.Auth.TokenTTL != 168*time.Hour || c.RPC.Secret != "" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.ServiceAddr("user", 9101) != "127.0.0.1:9101" || c.Database.Driver != "sqlite" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if got := c.MediaBaseURL(); got != "http://127.0.0.1:8080/media/" {
		t.Fatalf("media base %q", got)
	}
}

func TestFileAndEnvOverride(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(f, []byte("upload:\n  max_bytes: 1024\nservices:\n  user: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TIKTOK_HTTP_ADDR", "127.0.0.1:9999")
	t.Setenv("TIKTOK_AUTH_SECRET", "s3cret")
	t.Setenv("TIKTOK_SERVICES_FEED", "127.0.0.1:2")
	t.Setenv("TIKTOK_SERVICES_USER", "") // empty: the file's address stands
	c, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Upload.MaxBytes != 1024 || c.HTTP.Addr != "127.0.0.1:9999" || c.Auth.Secret != "s3cret" {
		t.Fatalf("overrides not applied: %+v", c)
	}
	if c.ServiceAddr("user", 9101) != "127.0.0.1:1" || c.ServiceAddr("feed", 9102) != "127.0.0.1:2" ||
		c.ServiceAddr("comment", 9105) != "127.0.0.1:9105" {
		t.Fatalf("services: %v", c.Services)
	}
}

func TestListFromEnv(t *testing.T) {
	t.Setenv("TIKTOK_REGISTRY_ETCD_ENDPOINTS", "10.0.0.1:2379,10.0.0.2:2379")
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Registry.EtcdEndpoints) != 2 || c.Registry.EtcdEndpoints[1] != "10.0.0.2:2379" {
		t.Fatalf("endpoints %v", c.Registry.EtcdEndpoints)
	}
}
