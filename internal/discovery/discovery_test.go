package discovery

import (
	"context"
	"net"
	"testing"
	"time"
)

// Reachable is a readiness check: an address that accepts connections
// passes, one that refuses them or is unknown fails within the deadline.
func TestStaticReachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := ln.Addr().String()
	down, _ := net.Listen("tcp", "127.0.0.1:0")
	downAddr := down.Addr().String()
	down.Close()
	defer ln.Close()
	s := Static{"user": up, "feed": downAddr}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Reachable(ctx, "user"); err != nil {
		t.Fatalf("listening: %v", err)
	}
	if err := s.Reachable(ctx, "feed"); err == nil {
		t.Fatal("a closed port passed")
	}
	if err := s.Reachable(ctx, "nope"); err == nil {
		t.Fatal("an unknown service passed")
	}
	if s.Announced(ctx, "user") != nil {
		t.Fatal("a static address book needs no registration")
	}
}
