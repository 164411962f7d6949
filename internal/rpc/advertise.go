package rpc

import (
	"fmt"
	"net"
	"strconv"
)

// AdvertiseAddr is the address a service registers in discovery, the one
// other hosts dial. advertise (rpc.advertise) names the host, or host:port;
// without a port the bound port is kept. Without it, a service bound to one
// address advertises that address, and one bound to every interface
// (0.0.0.0 or ::) advertises the first non-loopback address of the host: in
// a pod or a container that is the pod's own. The unspecified address is
// never advertised: callers elsewhere could not reach it.
func AdvertiseAddr(advertise string, bind *net.TCPAddr) (*net.TCPAddr, error) {
	if advertise != "" {
		host, port := advertise, bind.Port
		if h, p, err := net.SplitHostPort(advertise); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("rpc.advertise %q: bad port", advertise)
			}
			host, port = h, n
		}
		ip := net.ParseIP(host)
		if ip == nil {
			// A name: resolved once, here, as the registry stores addresses.
			ips, err := net.LookupIP(host)
			if err != nil || len(ips) == 0 {
				return nil, fmt.Errorf("rpc.advertise %q: cannot resolve: %v", advertise, err)
			}
			ip = ips[0]
		}
		if ip.IsUnspecified() {
			return nil, fmt.Errorf("rpc.advertise %q: an unspecified address cannot be dialled", advertise)
		}
		return &net.TCPAddr{IP: ip, Port: port}, nil
	}
	if bind.IP != nil && !bind.IP.IsUnspecified() {
		return bind, nil
	}
	ip, err := hostIP()
	if err != nil {
		return nil, fmt.Errorf("bound to every interface (%s) and rpc.advertise is empty: %w", bind, err)
	}
	return &net.TCPAddr{IP: ip, Port: bind.Port}, nil
}

// hostIP is the first non-loopback unicast address of the host, IPv4 first.
func hostIP() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var v6 net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP, nil
		}
		if v6 == nil {
			v6 = n.IP
		}
	}
	if v6 != nil {
		return v6, nil
	}
	return nil, fmt.Errorf("no non-loopback address found")
}
