package vap

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules"
)

// check is the CEL form of one catalog rule: the object is admitted when
// every expression is true. An expression must be true exactly when the Go
// rule reports nothing on the pod template of the object, for every object
// the API server can admit.
type check struct {
	// id is the rule's ID in the catalog. Required.
	id string
	// exprs are the validations, each a CEL boolean over object and
	// variables. Required.
	exprs []string
	// vars are variables of this policy only, in evaluation order, on top
	// of the shared ones (podVariables). Optional.
	vars []variable
}

// variable is one entry of spec.variables of a policy.
type variable struct{ name, expr string }

// podVariables pick the pod template of every workload kind the policies
// match, and the parts of it that several checks read. They are lazy in
// the API server, so a policy lists them all and pays only for those it
// reads. dyn() keeps the type checker, which types object per matched
// kind, from rejecting the branches meant for the other kinds, and every
// optional field is read with ?. and orValue so that an absent field never
// makes an expression fail.
var podVariables = []variable{
	{"spec", "object.kind == 'Pod' ? dyn(object).spec" +
		" : object.kind == 'CronJob' ? dyn(object).spec.?jobTemplate.?spec.?template.?spec.orValue({})" +
		" : object.kind == 'PodTemplate' ? dyn(object).?template.?spec.orValue({})" +
		" : dyn(object).spec.?template.?spec.orValue({})"},
	{"podMeta", "object.kind == 'Pod' ? dyn(object).metadata" +
		" : object.kind == 'CronJob' ? dyn(object).spec.?jobTemplate.?spec.?template.?metadata.orValue({})" +
		" : object.kind == 'PodTemplate' ? dyn(object).?template.?metadata.orValue({})" +
		" : dyn(object).spec.?template.?metadata.orValue({})"},
	{"annotations", "variables.podMeta.?annotations.orValue({})"},
	{"podSecurityContext", "variables.spec.?securityContext.orValue({})"},
	// Container names are unique across the three lists, so + concatenates
	// even where the API server merges lists keyed by name.
	{"containers", "dyn(variables.spec.?initContainers.orValue([]))" +
		" + dyn(variables.spec.?containers.orValue([]))" +
		" + dyn(variables.spec.?ephemeralContainers.orValue([]))"},
	// The rules that need Linux-only fields skip Windows pods.
	{"windows", "variables.spec.?os.?name.orValue('') == 'windows'"},
	// The rules about root skip pods in their own user namespace.
	{"userNamespaced", "variables.spec.?hostUsers.orValue(true) == false"},
	// hostPaths are the hostPath volumes' paths cleaned as the rules clean
	// them (path.Clean of "/" + path). The API server refuses paths with a
	// ".." element, so dropping empty and "." elements is the whole job.
	{"hostPaths", "variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath))" +
		".map(v, '/' + v.hostPath.?path.orValue('').split('/').filter(e, e != '' && e != '.').join('/'))"},
}

// safeSysctls are the sysctls the Pod Security Standards allow in their
// latest version, which unsafe-sysctls reads by default. The rule keeps
// its list unexported; TestSafeSysctlsAgree checks each name against it.
var safeSysctls = []string{
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
}

// runtimeSockets and runtimeSocketNames are container-runtime-socket's
// socket paths (with /var/run written as /run) and file names; the rule
// keeps them unexported, and TestRuntimeSocketsAgree checks them against
// it.
var (
	runtimeSockets = []string{
		"/run/docker.sock", "/run/docker/containerd/containerd.sock", "/run/containerd/containerd.sock",
		"/run/k3s/containerd/containerd.sock", "/run/crio/crio.sock", "/run/dockershim.sock",
		"/run/cri-dockerd.sock", "/run/podman/podman.sock", "/var/snap/microk8s/common/run/containerd.sock",
	}
	runtimeSocketNames = []string{
		"docker.sock", "containerd.sock", "crio.sock", "dockershim.sock", "cri-dockerd.sock", "podman.sock",
	}
)

// Conditions shared by several checks. They read c, the container of the
// enclosing all() macro.
const (
	// floating is image-tag-latest's test for an image without a digest:
	// its tag, after the last ":" that no "/" follows, is latest or absent.
	floating = "(!c.image.matches(':[^/]*$') || c.image.endsWith(':latest'))"
	// noImage skips containers without an image, as the image rules do.
	noImage = "c.?image.orValue('') == ''"
)

// checks returns the CEL form of every expressible rule, sorted by ID. The
// rules' parameters are read from the catalog with their default values.
func checks() []check {
	denied := upperCapabilities(stringsParam("dangerous-capabilities", "capabilities"))
	netRaw := upperCapabilities([]string{"NET_RAW", "ALL"})
	sensitive := cleanPaths(stringsParam("host-path-sensitive", "paths"))
	sysctls := slices.Clone(safeSysctls)
	for _, s := range safeSysctls {
		// The kubelet reads slash-separated names with the separators
		// swapped; safe names have dots only.
		sysctls = append(sysctls, strings.ReplaceAll(s, ".", "/"))
	}
	// within is hostpath.Within(s, p): p is s or a directory above it.
	within := func(s string) string { return "(" + s + " == p || p == '/' || " + s + ".startsWith(p + '/'))" }
	eachContainer := func(cond string) string { return "variables.containers.all(c, " + cond + ")" }
	unconfinedAnnotation := func(prefix, value string) string {
		return "variables.annotations[?" + quote(prefix) + " + c.name].orValue('') != " + quote(value)
	}
	return []check{{
		id: "allow-privilege-escalation",
		exprs: []string{"variables.windows || " +
			eachContainer("c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false")},
	}, {
		id: "apparmor-unconfined",
		exprs: []string{
			"variables.podSecurityContext.?appArmorProfile.?type.orValue('') != 'Unconfined'",
			eachContainer("c.?securityContext.?appArmorProfile.?type.orValue('') != 'Unconfined'"),
			eachContainer(unconfinedAnnotation(corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix,
				corev1.DeprecatedAppArmorBetaProfileNameUnconfined)),
		},
	}, {
		id: "container-runtime-socket",
		vars: []variable{{"runtimePaths",
			"variables.hostPaths.map(p, p == '/var/run' || p.startsWith('/var/run/') ? p.substring(4) : p)"}},
		exprs: []string{"variables.runtimePaths.all(p, " +
			"!" + list(runtimeSocketNames) + ".exists(n, p.endsWith('/' + n)) && " +
			list(runtimeSockets) + ".all(s, !" + within("s") + "))"},
	}, {
		id:    "dangerous-capabilities",
		exprs: []string{eachContainer("c.?securityContext.?capabilities.?add.orValue([]).all(a, !(a.upperAscii() in " + list(denied) + "))")},
	}, {
		id:    "host-ipc",
		exprs: []string{"variables.spec.?hostIPC.orValue(false) != true"},
	}, {
		id:    "host-network",
		exprs: []string{"variables.spec.?hostNetwork.orValue(false) != true"},
	}, {
		id:    "host-path-sensitive",
		exprs: []string{"variables.hostPaths.all(p, " + list(sensitive) + ".all(s, !" + within("s") + "))"},
	}, {
		id:    "host-path-volume",
		exprs: []string{"variables.spec.?volumes.orValue([]).all(v, !has(v.hostPath))"},
	}, {
		id: "host-path-writable",
		vars: []variable{{"hostPathVolumes",
			"variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v, v.name)"}},
		exprs: []string{eachContainer("c.?volumeMounts.orValue([]).all(m, !(m.name in variables.hostPathVolumes) || m.?readOnly.orValue(false) == true)")},
	}, {
		id:    "host-pid",
		exprs: []string{"variables.spec.?hostPID.orValue(false) != true"},
	}, {
		id:    "host-port",
		exprs: []string{eachContainer("c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0)")},
	}, {
		id:    "image-not-pinned",
		exprs: []string{eachContainer(noImage + " || c.image.contains('@')")},
	}, {
		id: "image-pull-policy",
		exprs: []string{eachContainer(noImage + " || c.image.contains('@') || " +
			"c.?imagePullPolicy.orValue(" + floating + " ? 'Always' : 'IfNotPresent') == 'Always'")},
	}, {
		id:    "image-tag-latest",
		exprs: []string{eachContainer(noImage + " || c.image.contains('@') || !" + floating)},
	}, {
		id: "net-raw-not-dropped",
		exprs: []string{"variables.windows || " + eachContainer(
			"!c.?securityContext.?capabilities.?add.orValue([]).exists(a, a.upperAscii() in "+list(netRaw)+") && "+
				"c.?securityContext.?capabilities.?drop.orValue([]).exists(d, d.upperAscii() in "+list(netRaw)+")")},
	}, {
		id:    "privileged-container",
		exprs: []string{eachContainer("c.?securityContext.?privileged.orValue(false) != true")},
	}, {
		id: "read-only-root-filesystem",
		exprs: []string{"variables.windows || " +
			eachContainer("c.?securityContext.?readOnlyRootFilesystem.orValue(false) == true")},
	}, {
		id: "run-as-non-root-missing",
		exprs: []string{"variables.userNamespaced || " + eachContainer(
			"c.?securityContext.?runAsNonRoot.orValue(variables.podSecurityContext.?runAsNonRoot.orValue(false)) == true || "+
				"c.?securityContext.?runAsUser.hasValue() || variables.podSecurityContext.?runAsUser.hasValue()")},
	}, {
		id: "run-as-root",
		exprs: []string{"variables.userNamespaced || " + eachContainer(
			"c.?securityContext.?runAsUser.orValue(variables.podSecurityContext.?runAsUser.orValue(-1)) != 0")},
	}, {
		id: "seccomp-profile-missing",
		exprs: []string{"variables.windows || variables.podSecurityContext.?seccompProfile.hasValue() || " +
			"variables.annotations[?" + quote(corev1.SeccompPodAnnotationKey) + "].orValue('') != '' || " +
			eachContainer("c.?securityContext.?seccompProfile.hasValue() || "+
				"variables.annotations[?"+quote(corev1.SeccompContainerAnnotationKeyPrefix)+" + c.name].orValue('') != ''")},
	}, {
		id: "seccomp-unconfined",
		exprs: []string{
			"variables.podSecurityContext.?seccompProfile.?type.orValue('') != 'Unconfined'",
			"variables.annotations[?" + quote(corev1.SeccompPodAnnotationKey) + "].orValue('') != " +
				quote(corev1.SeccompProfileNameUnconfined),
			eachContainer("c.?securityContext.?seccompProfile.?type.orValue('') != 'Unconfined'"),
			eachContainer(unconfinedAnnotation(corev1.SeccompContainerAnnotationKeyPrefix, corev1.SeccompProfileNameUnconfined)),
		},
	}, {
		id: "unmasked-proc-mount",
		exprs: []string{"variables.userNamespaced || " +
			eachContainer("c.?securityContext.?procMount.orValue('') != 'Unmasked'")},
	}, {
		id:    "unsafe-sysctls",
		exprs: []string{"variables.podSecurityContext.?sysctls.orValue([]).all(s, s.name in " + list(sysctls) + ")"},
	}}
}

// stringsParam returns the default of a rule's []string parameter. It
// panics when the catalog has no such rule or parameter: the unit tests
// catch that.
func stringsParam(id, name string) []string {
	r := rules.ByID(id)
	if r == nil {
		panic("vap: no rule " + id)
	}
	i := slices.IndexFunc(r.Params, func(p rule.Param) bool { return p.Name == name })
	if i < 0 {
		panic(fmt.Sprintf("vap: rule %s has no parameter %s", id, name))
	}
	v, ok := r.Params[i].Default.([]string)
	if !ok {
		panic(fmt.Sprintf("vap: parameter %s of rule %s is not a []string", name, id))
	}
	return v
}

// upperCapabilities returns the upper-case names of capabilities with and
// without the CAP_ prefix: an upper-cased entry of capabilities.add names
// one of caps, as the rules compare them, exactly when it is in the list.
func upperCapabilities(caps []string) []string {
	var out []string
	for _, c := range caps {
		c = strings.TrimPrefix(strings.ToUpper(c), "CAP_")
		out = append(out, c, "CAP_"+c)
	}
	return out
}

// cleanPaths cleans paths as the hostPath rules clean them.
func cleanPaths(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = path.Clean("/" + p)
	}
	return out
}

// quote returns s as a single-quoted CEL string literal. The strings are
// the package's own constants and the rules' parameter defaults, which
// need no escapes; one that would is a programming error.
func quote(s string) string {
	if strings.ContainsAny(s, "'\\\n") {
		panic("vap: string needs escaping in CEL: " + strconv.Quote(s))
	}
	return "'" + s + "'"
}

// list returns ss as a CEL list of string literals.
func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
