// Package hostpath compares the paths of hostPath volumes the way the node
// resolves them, for the rules that flag hostPath mounts of sensitive
// locations: "/etc/", "/var/log/../../etc" and "/etc" all name /etc.
package hostpath

import (
	"path"
	"strings"
)

// Clean returns p as an absolute path without trailing slashes and without
// "." or ".." elements. A relative path is read from the root, which is
// where the kubelet resolves it, so that it cannot hide a sensitive
// directory.
func Clean(p string) string {
	return path.Clean("/" + p)
}

// Within reports whether p is dir or lies below it. Both must be clean.
func Within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
