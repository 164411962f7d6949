package rpc

import (
	"net"
	"testing"
)

func TestAdvertiseAddr(t *testing.T) {
	bind := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9101}
	any4 := &net.TCPAddr{IP: net.IPv4zero, Port: 9101}
	cases := []struct {
		advertise string
		bind      *net.TCPAddr
		want      string
	}{
		{"", bind, "127.0.0.1:9101"},             // bound to one address: that one
		{"10.1.2.3", any4, "10.1.2.3:9101"},      // a pod IP: the bound port kept
		{"10.1.2.3:7000", any4, "10.1.2.3:7000"}, // a port of its own (a NAT, a proxy)
		{"localhost", bind, "127.0.0.1:9101"},    // a name, resolved once
	}
	for _, c := range cases {
		got, err := AdvertiseAddr(c.advertise, c.bind)
		if err != nil || got.String() != c.want {
			t.Errorf("AdvertiseAddr(%q, %s) = %v, %v; want %s", c.advertise, c.bind, got, err, c.want)
		}
	}
	for _, bad := range []string{"0.0.0.0", "[::]:9101", "10.1.2.3:x"} {
		if a, err := AdvertiseAddr(bad, any4); err == nil {
			t.Errorf("AdvertiseAddr(%q) = %v, want an error", bad, a)
		}
	}
	// Every interface and nothing configured: a real address of this host,
	// never the unspecified one.
	got, err := AdvertiseAddr("", any4)
	if err != nil {
		t.Skipf("no non-loopback address here: %v", err)
	}
	if got.IP.IsUnspecified() || got.IP.IsLoopback() || got.Port != 9101 {
		t.Errorf("AdvertiseAddr(\"\", 0.0.0.0:9101) = %v", got)
	}
}
