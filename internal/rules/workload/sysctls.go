package workload

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// safeSysctls are the sysctls the Pod Security Standards allow, with the
// Kubernetes minor version whose policy first allows each batch. They are
// namespaced, so they cannot reach the node or other pods, and cannot take
// more than the pod's share of kernel resources.
var safeSysctls = []struct {
	since int
	names []string
}{
	{0, []string{"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range"}},
	{27, []string{"net.ipv4.ip_local_reserved_ports"}},
	{29, []string{"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes"}},
	{32, []string{"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}},
	{37, []string{"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}},
}

// UnsafeSysctls reports pods that set sysctls outside the safe set.
var UnsafeSysctls = &rule.Rule{
	Meta: rule.Meta{
		ID:       "unsafe-sysctls",
		Title:    "Unsafe sysctl",
		Severity: rule.Medium,
		Category: rule.CategoryHostAccess,
		Doc: "Sysctls outside the Pod Security Standards' safe set either change the whole node or let one pod " +
			"claim kernel resources the node's other pods share, and some weaken kernel protections. The rule " +
			"flags each entry of the pod's securityContext.sysctls that is not in the safe set of the targeted " +
			"Pod Security Standards version, reading slash-separated names as the kubelet does.",
		Remediation: "Remove the sysctl from the pod and, if the workload needs it, set it on dedicated nodes instead.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "sysctls"),
			framework.CISRef("5.7.3"),
			framework.NSARef("pod-security-enforcement"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok || pod.Spec.SecurityContext == nil {
			return nil
		}
		minor, err := pssMinor(pass.Options.PSSVersion)
		if err != nil {
			return err
		}
		for i, s := range pod.Spec.SecurityContext.Sysctls {
			if safeSysctl(s.Name, minor) {
				continue
			}
			elem := pod.SpecPath.Field("securityContext").Field("sysctls").Index(i)
			name := s.Name
			fix := func() *rule.Fix {
				return &rule.Fix{
					Patch:  removeElement(elem, elem.Field("name"), name),
					Unsafe: true,
					Note:   "the workload runs with the node's value of " + name + "; make sure it does not depend on its own",
				}
			}
			pass.Reportf(elem.Field("name"), fix, "pod sets unsafe sysctl %q (securityContext.sysctls[%d])", s.Name, i)
		}
		return nil
	},
}

// safeSysctl reports whether the policy of Kubernetes 1.minor allows the
// sysctl name.
func safeSysctl(name string, minor int) bool {
	name = dotSeparated(name)
	for _, batch := range safeSysctls {
		if batch.since <= minor && slices.Contains(batch.names, name) {
			return true
		}
	}
	return false
}

// dotSeparated returns a sysctl name in its dotted form. The kubelet also
// accepts names separated by slashes, in which dots may appear inside a
// component (net/ipv4/conf/eth0.100/rp_filter); like the kubelet, it swaps
// the two separators.
func dotSeparated(name string) string {
	if i := strings.IndexAny(name, "./"); i < 0 || name[i] == '.' {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, name)
}

var pssVersionRE = regexp.MustCompile(`^v1\.(\d+)$`)

// pssMinor returns the minor version of the targeted Pod Security Standards
// ("v1.33" is 33); "latest" and "" mean every version Palisade knows.
func pssMinor(version string) (int, error) {
	if version == "" || version == "latest" {
		return math.MaxInt, nil
	}
	m := pssVersionRE.FindStringSubmatch(version)
	if m == nil {
		return 0, fmt.Errorf("pod security standards version %q is not v1.MINOR or latest", version)
	}
	return strconv.Atoi(m[1])
}
