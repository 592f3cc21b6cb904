package workload

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/hostpath"
)

// sensitiveHostPaths are the host directories whose exposure gives away the
// node: its configuration and credentials, the kubelet's, etcd's and the
// container runtimes' state, logs, and the kernel's interfaces.
var sensitiveHostPaths = []string{
	"/", "/etc", "/root", "/home", "/boot", "/proc", "/sys", "/dev", "/var/log",
	"/var/lib/kubelet", "/var/lib/etcd", "/var/lib/docker", "/var/lib/containerd",
	"/var/run", "/run", "/etc/kubernetes",
}

// HostPathSensitive reports hostPath volumes of sensitive node directories,
// or of directories above them.
var HostPathSensitive = &rule.Rule{
	Meta: rule.Meta{
		ID:       "host-path-sensitive",
		Title:    "HostPath volume of a sensitive node directory",
		Severity: rule.Critical,
		Category: rule.CategoryHostAccess,
		Doc: "Some node directories amount to the node itself: /etc and /root hold its credentials, " +
			"/var/lib/kubelet every pod's secrets, /etc/kubernetes and /var/lib/etcd the cluster's keys, and /proc, " +
			"/sys and /dev reach the kernel. The rule cleans each hostPath (trailing slashes, \".\" and \"..\") and " +
			"flags it when it is one of the configured paths or a directory above one, since mounting /var exposes " +
			"/var/lib/kubelet; paths below a listed directory, such as /etc/ssl/certs, are left to host-path-volume.",
		Remediation: "Remove the hostPath volume, or narrow it to the one file or directory the container needs.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "hostPathVolumes"),
			framework.CISRef("5.2.12"),
			framework.MITRERef("T1611"),
			framework.MITRERef("T1552.001"),
		},
		Params: []rule.Param{{
			Name:    "paths",
			Doc:     "Host paths that no hostPath volume may be, nor be a directory above.",
			Default: sensitiveHostPaths,
		}},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		sensitive := pass.StringsParam("paths")
		for i, v := range pod.Spec.Volumes {
			if v.HostPath == nil {
				continue
			}
			if why := sensitiveReason(v.HostPath.Path, sensitive); why != "" {
				vol := pod.SpecPath.Field("volumes").Index(i)
				p := vol.Field("hostPath").Field("path")
				fix := func() *rule.Fix { return hostpath.EmptyDirFix(vol) }
				pass.Reportf(p, fix, "volume %q mounts %s (hostPath)", v.Name, why)
			}
		}
		return nil
	},
}

// sensitiveReason says why hostPath p is sensitive, or returns "" when it
// is none of the sensitive paths nor a directory above one. An exact match
// wins over a directory above a listed path, whose message names the first
// listed path it contains.
func sensitiveReason(p string, sensitive []string) string {
	clean := hostpath.Clean(p)
	written := ""
	if clean != p {
		written = fmt.Sprintf(" (written %q)", p)
	}
	for _, s := range sensitive {
		if clean == hostpath.Clean(s) {
			return fmt.Sprintf("sensitive host path %q%s", clean, written)
		}
	}
	for _, s := range sensitive {
		if s := hostpath.Clean(s); hostpath.Within(s, clean) {
			return fmt.Sprintf("host path %q%s, which contains sensitive %q", clean, written, s)
		}
	}
	return ""
}
