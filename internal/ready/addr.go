package ready

// The host of a run.ready address is an IP address or localhost. golive does not link
// package net, whose cgo resolver made it a dynamically linked binary
// with libc's pages in its memory, so it has no resolver; and the program
// it checks runs on this machine, so a name would only ever have been
// another spelling of a local address.

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// errHost says the host is a name other than localhost.
var errHost = errors.New("host must be an IP address or localhost (golive checks the program on this machine)")

// loopback is what localhost, or no host at all, means, in the order
// tried: most servers listen on IPv4, or on both.
var loopback = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}

// resolve returns the addresses to try, in order, for u's host and port;
// defaultPort stands in for a missing port, and 0 means the port is
// required. The errors say what is wrong without naming the key or the
// value: the callers add those.
func resolve(u *url.URL, defaultPort uint16) ([]netip.AddrPort, error) {
	port, err := parsePort(u.Port(), defaultPort)
	if err != nil {
		return nil, err
	}
	addrs, err := hostAddrs(u)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(addrs))
	for i, a := range addrs {
		out[i] = netip.AddrPortFrom(a, port)
	}
	return out, nil
}

func parsePort(s string, defaultPort uint16) (uint16, error) {
	if s == "" {
		if defaultPort == 0 {
			return 0, errors.New("no port")
		}
		return defaultPort, nil
	}
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return uint16(p), nil
}

// hostAddrs applies the host rule. An empty host, as in "tcp://:8080",
// means this machine, as it did when golive dialed with package net.
func hostAddrs(u *url.URL) ([]netip.Addr, error) {
	host := u.Hostname()
	if host == "" || strings.EqualFold(host, "localhost") {
		return loopback, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil, errHost
	}
	if a.Zone() != "" {
		return nil, fmt.Errorf("IPv6 zone %q is not supported", a.Zone())
	}
	// url.Parse takes "tcp://::1:80" as host "::1" and port 80, where a
	// reader may see port 80 missing; brackets say where the address ends.
	if strings.Contains(host, ":") && !strings.HasPrefix(u.Host, "[") {
		return nil, errors.New("an IPv6 address must be in brackets, as in tcp://[::1]:8080")
	}
	return []netip.Addr{a.Unmap()}, nil
}
