package workload

import (
	"math"
	"testing"
)

func TestDotSeparated(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"net.ipv4.tcp_rmem", "net.ipv4.tcp_rmem"},
		{"net/ipv4/tcp_rmem", "net.ipv4.tcp_rmem"},
		{"net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter"},
		{"net.ipv4.conf.eth0/100.rp_filter", "net.ipv4.conf.eth0/100.rp_filter"},
		{"kernel", "kernel"},
	} {
		if got := dotSeparated(tc.in); got != tc.want {
			t.Errorf("dotSeparated(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPSSMinor(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", math.MaxInt, false},
		{"latest", math.MaxInt, false},
		{"v1.29", 29, false},
		{"v1.0", 0, false},
		{"1.29", 0, true},
		{"v2.1", 0, true},
		{"v1.29.3", 0, true},
	} {
		got, err := pssMinor(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("pssMinor(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestSafeSysctlVersions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		minor int
		want  bool
	}{
		{"net.ipv4.ip_local_reserved_ports", 26, false},
		{"net.ipv4.ip_local_reserved_ports", 27, true},
		{"net.ipv4.tcp_fin_timeout", 28, false},
		{"net.ipv4.tcp_fin_timeout", 29, true},
		{"net.ipv4.tcp_wmem", 31, false},
		{"net.ipv4.tcp_wmem", 32, true},
		{"net.ipv4.tcp_notsent_lowat", 36, false},
		{"net.ipv4.tcp_notsent_lowat", 37, true},
		{"kernel.msgmax", math.MaxInt, false},
	} {
		if got := safeSysctl(tc.name, tc.minor); got != tc.want {
			t.Errorf("safeSysctl(%q, %d) = %v, want %v", tc.name, tc.minor, got, tc.want)
		}
	}
}
