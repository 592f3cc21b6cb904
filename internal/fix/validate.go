package fix

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// hazards lists what in o makes the API server reject it or keeps its
// containers from starting, as far as security fixes can cause it. The
// fixer refuses a fix that adds one (the object may have had some before,
// which are not the fix's doing).
func hazards(o *object.Object) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if svc, ok := o.Typed.(*corev1.Service); ok {
		external := svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 && !external {
				add("a %s Service cannot set ports[].nodePort", typeOr(svc.Spec.Type))
			}
		}
		if svc.Spec.ExternalTrafficPolicy != "" && !external {
			add("a %s Service cannot set externalTrafficPolicy", typeOr(svc.Spec.Type))
		}
		if len(svc.Spec.LoadBalancerSourceRanges) > 0 && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			add("only a LoadBalancer Service can set loadBalancerSourceRanges")
		}
		return out
	}
	pod, ok := o.PodTemplate()
	if !ok {
		return nil
	}
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	windows := pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows
	if windows && (psc.SeccompProfile != nil || psc.AppArmorProfile != nil || psc.SELinuxOptions != nil ||
		psc.RunAsUser != nil || psc.RunAsGroup != nil || len(psc.Sysctls) > 0 || psc.FSGroup != nil) {
		add("a Windows pod cannot set Linux-only pod securityContext fields")
	}
	checkProfile := func(where string, seccomp *corev1.SeccompProfile, apparmor *corev1.AppArmorProfile) {
		if seccomp != nil && seccomp.Type == corev1.SeccompProfileTypeLocalhost && seccomp.LocalhostProfile == nil {
			add("%s seccompProfile of type Localhost needs localhostProfile", where)
		}
		if apparmor != nil && apparmor.Type == corev1.AppArmorProfileTypeLocalhost && apparmor.LocalhostProfile == nil {
			add("%s appArmorProfile of type Localhost needs localhostProfile", where)
		}
	}
	checkProfile("pod", psc.SeccompProfile, psc.AppArmorProfile)
	hostProcess := psc.WindowsOptions != nil && psc.WindowsOptions.HostProcess != nil && *psc.WindowsOptions.HostProcess
	for _, c := range pod.Containers() {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		name := fmt.Sprintf("container %q", c.Name)
		nonRoot := firstBool(sc.RunAsNonRoot, psc.RunAsNonRoot)
		uid := firstInt(sc.RunAsUser, psc.RunAsUser)
		if nonRoot != nil && *nonRoot && uid != nil && *uid == 0 {
			add("%s sets runAsNonRoot=true and runs as UID 0, so it cannot start", name)
		}
		noEscalation := sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		if noEscalation && sc.Privileged != nil && *sc.Privileged {
			add("%s cannot set allowPrivilegeEscalation=false and privileged=true", name)
		}
		if noEscalation && sc.Capabilities != nil && slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool {
			return strings.TrimPrefix(strings.ToUpper(string(c)), "CAP_") == "SYS_ADMIN"
		}) {
			add("%s cannot set allowPrivilegeEscalation=false and add SYS_ADMIN", name)
		}
		checkProfile(name, sc.SeccompProfile, sc.AppArmorProfile)
		if windows && (sc.SeccompProfile != nil || sc.AppArmorProfile != nil || sc.SELinuxOptions != nil ||
			sc.AllowPrivilegeEscalation != nil || sc.Privileged != nil || sc.Capabilities != nil ||
			sc.ReadOnlyRootFilesystem != nil || sc.ProcMount != nil || sc.RunAsUser != nil || sc.RunAsGroup != nil) {
			add("%s in a Windows pod cannot set Linux-only securityContext fields", name)
		}
		if sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess {
			hostProcess = true
		}
	}
	if hostProcess && !pod.Spec.HostNetwork {
		add("a HostProcess pod must use the host network")
	}
	return out
}

func typeOr(t corev1.ServiceType) string {
	if t == "" {
		return string(corev1.ServiceTypeClusterIP)
	}
	return string(t)
}

func firstBool(vs ...*bool) *bool {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

func firstInt(vs ...*int64) *int64 {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// newHazards returns the hazards of after that before did not have.
func newHazards(before, after *object.Object) []string {
	var had []string
	if before != nil {
		had = hazards(before)
	}
	var out []string
	for _, h := range hazards(after) {
		if !slices.Contains(had, h) {
			out = append(out, h)
		}
	}
	return out
}
