package hostpath

import "testing"

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/etc", "/etc"},
		{"/etc/", "/etc"},
		{"/etc//kubernetes/", "/etc/kubernetes"},
		{"/var/log/../../etc", "/etc"},
		{"/../../etc", "/etc"},
		{"/var/./lib/kubelet", "/var/lib/kubelet"},
		{"/", "/"},
		{"//", "/"},
		{"", "/"},
		{"etc", "/etc"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWithin(t *testing.T) {
	for _, tc := range []struct {
		p, dir string
		want   bool
	}{
		{"/etc", "/etc", true},
		{"/etc/kubernetes", "/etc", true},
		{"/etc", "/", true},
		{"/", "/", true},
		{"/etcd", "/etc", false},
		{"/etc", "/etc/kubernetes", false},
		{"/var/lib", "/var/lib/kubelet", false},
	} {
		if got := Within(tc.p, tc.dir); got != tc.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tc.p, tc.dir, got, tc.want)
		}
	}
}
