package ready

import (
	"fmt"
	"net/url"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url  string
		want string // the addresses, or the error
	}{
		{"tcp://127.0.0.1:8080", "[127.0.0.1:8080]"},
		{"tcp://[::1]:8080", "[[::1]:8080]"},
		{"tcp://[::ffff:127.0.0.1]:8080", "[127.0.0.1:8080]"},
		{"tcp://localhost:8080", "[127.0.0.1:8080 [::1]:8080]"},
		{"tcp://LocalHost:8080", "[127.0.0.1:8080 [::1]:8080]"},
		{"tcp://:8080", "[127.0.0.1:8080 [::1]:8080]"},
		{"http://10.0.0.7/health", "[10.0.0.7:80]"},
		{"tcp://localhost", "no port"},
		{"tcp://127.0.0.1:0", `bad port "0"`},
		{"tcp://127.0.0.1:70000", `bad port "70000"`},
		{"tcp://::1:8080", "an IPv6 address must be in brackets, as in tcp://[::1]:8080"},
		{"tcp://[fe80::1%25eth0]:8080", `IPv6 zone "eth0" is not supported`},
		{"tcp://db:5432", errHost.Error()},
		{"tcp://localhost.localdomain:5432", errHost.Error()},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		var defaultPort uint16
		if u.Scheme == "http" {
			defaultPort = 80
		}
		addrs, err := resolve(u, defaultPort)
		got := fmt.Sprint(addrs)
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("resolve(%s) = %s, want %s", tt.url, got, tt.want)
		}
	}
}
