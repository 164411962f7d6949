package rpc

import (
	"context"
	"testing"

	"tiktok/internal/logx"
)

func TestDetachKeepsValuesDropsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(logx.WithRequestID(context.Background(), "r1"))
	d := Detach(ctx)
	cancel()
	if d.Done() != nil || d.Err() != nil || logx.RequestID(d) != "r1" {
		t.Fatalf("detached: done %v err %v id %q", d.Done(), d.Err(), logx.RequestID(d))
	}
	if Detach(d) != d {
		t.Fatal("detaching twice wraps twice")
	}
}
