package podsecurity

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/hostpath"
)

// The fixes of the baseline checks that have no safe default. Each removes
// or resets what the check forbids, and each is unsafe: someone asked for
// the setting, perhaps for a reason, and the note says what to check.

// unsafeFix returns a fix of ops with a note, or nil when there are none.
func unsafeFix(ops []rule.PatchOp, note string) *rule.Fix {
	if len(ops) == 0 {
		return nil
	}
	return &rule.Fix{Patch: ops, Unsafe: true, Note: note}
}

// annotationPath locates a pod annotation.
func annotationPath(pod object.PodTemplate, key string) object.Path {
	return pod.MetaPath.Field("annotations").Field(key)
}

// fixProcMount removes every procMount other than Default.
func fixProcMount(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
			ops = append(ops, rule.Remove(procMountField(pod, c)))
		}
	}
	return unsafeFix(ops, "the container gets the runtime's masked, partly read-only /proc; make sure it does not "+
		"need the unmasked one (for example to run nested containers)")
}

// fixSeccompBaseline turns Unconfined seccomp profiles into RuntimeDefault
// and removes the seccomp annotations that are not runtime/default,
// docker/default or localhost/*.
func fixSeccompBaseline(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	if sc := pod.Spec.SecurityContext; sc != nil && sc.SeccompProfile != nil && !confinedSeccomp(sc.SeccompProfile) {
		ops = append(ops, rule.Set(podSC(pod).Field("seccompProfile").Field("type"), string(corev1.SeccompProfileTypeRuntimeDefault)))
	}
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil && !confinedSeccomp(sc.SeccompProfile) {
			ops = append(ops, rule.Set(containerSC(c).Field("seccompProfile").Field("type"), string(corev1.SeccompProfileTypeRuntimeDefault)))
		}
	}
	for _, key := range sortedKeys(pod.Meta.Annotations) {
		if key != corev1.SeccompPodAnnotationKey && !strings.HasPrefix(key, corev1.SeccompContainerAnnotationKeyPrefix) {
			continue
		}
		v := pod.Meta.Annotations[key]
		if v != corev1.SeccompProfileRuntimeDefault && v != corev1.DeprecatedSeccompProfileDockerDefault && !strings.HasPrefix(v, corev1.SeccompLocalhostProfileNamePrefix) {
			ops = append(ops, rule.Remove(annotationPath(pod, key)))
		}
	}
	return unsafeFix(ops, "the runtime's default seccomp profile refuses system calls such as mount, unshare, keyctl "+
		"and bpf; make sure the workload does not need them")
}

// fixAppArmor turns Unconfined AppArmor profiles into RuntimeDefault and
// removes the AppArmor annotations that are not runtime/default or
// localhost/*.
func fixAppArmor(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	confined := func(p *corev1.AppArmorProfile) bool {
		return p.Type == corev1.AppArmorProfileTypeRuntimeDefault || p.Type == corev1.AppArmorProfileTypeLocalhost
	}
	if sc := pod.Spec.SecurityContext; sc != nil && sc.AppArmorProfile != nil && !confined(sc.AppArmorProfile) {
		ops = append(ops, rule.Set(podSC(pod).Field("appArmorProfile").Field("type"), string(corev1.AppArmorProfileTypeRuntimeDefault)))
	}
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.AppArmorProfile != nil && !confined(sc.AppArmorProfile) {
			ops = append(ops, rule.Set(containerSC(c).Field("appArmorProfile").Field("type"), string(corev1.AppArmorProfileTypeRuntimeDefault)))
		}
	}
	for _, key := range sortedKeys(pod.Meta.Annotations) {
		if !strings.HasPrefix(key, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) {
			continue
		}
		v := pod.Meta.Annotations[key]
		if v != corev1.DeprecatedAppArmorBetaProfileRuntimeDefault && !strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix) {
			ops = append(ops, rule.Remove(annotationPath(pod, key)))
		}
	}
	return unsafeFix(ops, "the runtime's default AppArmor profile refuses mounts and writes to parts of /proc and /sys; "+
		"make sure the workload does not need them")
}

// fixCapabilitiesBaseline removes from every container's added
// capabilities those the check forbids, trying each one on its own.
func fixCapabilitiesBaseline(pod object.PodTemplate, allowed func(*corev1.PodSpec) bool) *rule.Fix {
	var ops []rule.PatchOp
	var dropped []string
	for _, c := range pod.Containers() {
		if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil || len(c.SecurityContext.Capabilities.Add) == 0 {
			continue
		}
		var keep []string
		for _, cp := range c.SecurityContext.Capabilities.Add {
			probe := &corev1.PodSpec{Containers: []corev1.Container{{Name: c.Name, SecurityContext: &corev1.SecurityContext{
				Capabilities: &corev1.Capabilities{Add: []corev1.Capability{cp}},
			}}}}
			if allowed(probe) {
				keep = append(keep, string(cp))
			} else {
				dropped = append(dropped, string(cp))
			}
		}
		if len(keep) == len(c.SecurityContext.Capabilities.Add) {
			continue
		}
		at := containerSC(c).Field("capabilities").Field("add")
		if len(keep) == 0 {
			ops = append(ops, rule.Remove(at))
		} else {
			ops = append(ops, rule.Set(at, keep))
		}
	}
	slices.Sort(dropped)
	return unsafeFix(ops, "the containers lose "+strings.Join(slices.Compact(dropped), ", ")+"; make sure they do not need them")
}

// fixSysctls removes the sysctls the check forbids at the scan's policy
// version, trying each one on its own.
func fixSysctls(pod object.PodTemplate, allowed func(*corev1.PodSpec) bool) *rule.Fix {
	sc := pod.Spec.SecurityContext
	if sc == nil {
		return nil
	}
	var ops []rule.PatchOp
	var names []string
	for i := len(sc.Sysctls) - 1; i >= 0; i-- {
		s := sc.Sysctls[i]
		probe := &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{s}}}
		if allowed(probe) {
			continue
		}
		elem := podSC(pod).Field("sysctls").Index(i)
		ops = append(ops, rule.PatchOp{Op: "test", Path: elem.Field("name").Pointer(), Value: s.Name}, rule.Remove(elem))
		names = append(names, s.Name)
	}
	slices.Reverse(names)
	return unsafeFix(ops, "the pod runs with the node's value of "+strings.Join(names, ", ")+"; make sure it does "+
		"not depend on its own, or tune the node")
}

// fixSELinux removes the SELinux user and role and a type the check
// forbids, from the pod and every container, and an seLinuxOptions left
// empty.
func fixSELinux(pod object.PodTemplate, allowed func(*corev1.PodSpec) bool) *rule.Fix {
	var ops []rule.PatchOp
	fixOpts := func(opts *corev1.SELinuxOptions, at object.Path) {
		if opts == nil {
			return
		}
		typeOK := opts.Type == "" || allowed(&corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{
			SELinuxOptions: &corev1.SELinuxOptions{Type: opts.Type},
		}})
		if opts.User == "" && opts.Role == "" && typeOK {
			return
		}
		if opts.Level == "" && (opts.Type == "" || !typeOK) {
			ops = append(ops, rule.Remove(at))
			return
		}
		if opts.User != "" {
			ops = append(ops, rule.Remove(at.Field("user")))
		}
		if opts.Role != "" {
			ops = append(ops, rule.Remove(at.Field("role")))
		}
		if !typeOK {
			ops = append(ops, rule.Remove(at.Field("type")))
		}
	}
	if sc := pod.Spec.SecurityContext; sc != nil {
		fixOpts(sc.SELinuxOptions, podSC(pod).Field("seLinuxOptions"))
	}
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil {
			fixOpts(sc.SELinuxOptions, containerSC(c).Field("seLinuxOptions"))
		}
	}
	return unsafeFix(ops, "the containers run with the runtime's SELinux labels; make sure they do not need the "+
		"access the custom labels gave them")
}

// fixHostPathVolumes turns every hostPath volume into an emptyDir.
func fixHostPathVolumes(pod object.PodTemplate) *rule.Fix {
	var vols []object.Path
	for i, v := range pod.Spec.Volumes {
		if v.HostPath != nil {
			vols = append(vols, pod.SpecPath.Field("volumes").Index(i))
		}
	}
	if len(vols) == 0 {
		return nil
	}
	return hostpath.EmptyDirFix(vols...)
}

// fixWindowsHostProcess removes hostProcess=true from the pod and its
// containers.
func fixWindowsHostProcess(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	hostProcess := func(w *corev1.WindowsSecurityContextOptions) bool {
		return w != nil && w.HostProcess != nil && *w.HostProcess
	}
	if sc := pod.Spec.SecurityContext; sc != nil && hostProcess(sc.WindowsOptions) {
		ops = append(ops, rule.Remove(podSC(pod).Field("windowsOptions").Field("hostProcess")))
	}
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil && hostProcess(sc.WindowsOptions) {
			ops = append(ops, rule.Remove(containerSC(c).Field("windowsOptions").Field("hostProcess")))
		}
	}
	return unsafeFix(ops, "the containers no longer run as processes on the Windows node; node agents that need the "+
		"host must run outside the namespace's policy")
}

// fixHandlerHosts removes the host of every httpGet and tcpSocket handler of
// the containers' probes and lifecycle hooks.
func fixHandlerHosts(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	for _, c := range pod.Containers() {
		handler := func(at object.Path, httpGet *corev1.HTTPGetAction, tcpSocket *corev1.TCPSocketAction) {
			if httpGet != nil && httpGet.Host != "" {
				ops = append(ops, rule.Remove(at.Field("httpGet").Field("host")))
			}
			if tcpSocket != nil && tcpSocket.Host != "" {
				ops = append(ops, rule.Remove(at.Field("tcpSocket").Field("host")))
			}
		}
		for name, p := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
			if p != nil {
				handler(c.Path.Field(name), p.HTTPGet, p.TCPSocket)
			}
		}
		if lc := c.Lifecycle; lc != nil {
			if lc.PostStart != nil {
				handler(c.Path.Field("lifecycle").Field("postStart"), lc.PostStart.HTTPGet, lc.PostStart.TCPSocket)
			}
			if lc.PreStop != nil {
				handler(c.Path.Field("lifecycle").Field("preStop"), lc.PreStop.HTTPGet, lc.PreStop.TCPSocket)
			}
		}
	}
	slices.SortFunc(ops, func(a, b rule.PatchOp) int { return strings.Compare(a.Path, b.Path) })
	return unsafeFix(ops, "the kubelet then probes and calls the pod's own address; make sure the probes and hooks "+
		"check the container rather than another host")
}

// fixRunAsUser removes runAsUser=0 from the pod and its containers, which
// hands the choice of user back to the image.
func fixRunAsUser(pod object.PodTemplate) *rule.Fix {
	var ops []rule.PatchOp
	if sc := pod.Spec.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		ops = append(ops, rule.Remove(podSC(pod).Field("runAsUser")))
	}
	for _, c := range pod.Containers() {
		if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			ops = append(ops, rule.Remove(containerSC(c).Field("runAsUser")))
		}
	}
	return unsafeFix(ops, "the containers run as their image's user, which may still be root and may not own the "+
		"files the container uses; set runAsUser to a non-zero UID the image supports")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
