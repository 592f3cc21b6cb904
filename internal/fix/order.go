package fix

import (
	"slices"
	"strconv"
)

// Where a fix adds a field, it goes where a person would have written it.
// keyOrder lists, for each kind of mapping, its keys in the order people
// write them (the order of the Kubernetes documentation's examples, with
// securityContext brought up next to the image it constrains). A new key is
// inserted right after the nearest key that precedes it in this order and
// is present; when none is present, right before the nearest one that
// follows it; and when the mapping has none of the listed keys, or the new
// key is not listed, at the end of the mapping. Keys of new mappings are
// written in this order, the unlisted ones after them in alphabetical
// order.
var keyOrder = map[string][]string{
	ctxObject: {"apiVersion", "kind", "metadata", "automountServiceAccountToken", "imagePullSecrets", "secrets",
		"type", "spec", "data", "stringData", "rules", "aggregationRule", "roleRef", "subjects"},
	ctxMetadata: {"name", "generateName", "namespace", "labels", "annotations"},
	ctxPodSpec: {"nodeName", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
		"hostNetwork", "hostPID", "hostIPC", "hostUsers", "shareProcessNamespace", "securityContext",
		"initContainers", "containers", "ephemeralContainers", "volumes"},
	ctxContainer: {"name", "image", "imagePullPolicy", "securityContext", "command", "args", "workingDir",
		"ports", "env", "envFrom", "resources", "volumeMounts", "volumeDevices", "livenessProbe",
		"readinessProbe", "startupProbe", "lifecycle"},
	ctxContainerSC: {"runAsNonRoot", "runAsUser", "runAsGroup", "allowPrivilegeEscalation", "privileged",
		"readOnlyRootFilesystem", "procMount", "capabilities", "seccompProfile", "appArmorProfile",
		"seLinuxOptions", "windowsOptions"},
	ctxPodSC: {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy",
		"supplementalGroups", "seccompProfile", "appArmorProfile", "seLinuxOptions", "sysctls", "windowsOptions"},
	ctxCapabilities: {"drop", "add"},
	ctxProfile:      {"type", "localhostProfile"},
	ctxResources:    {"requests", "limits"},
	ctxQuantities:   {"cpu", "memory", "ephemeral-storage"},
	ctxPort:         {"name", "containerPort", "hostPort", "protocol", "port", "targetPort", "nodePort"},
	ctxVolumeMount:  {"name", "mountPath", "subPath", "readOnly"},
	ctxNetPolSpec:   {"podSelector", "policyTypes", "ingress", "egress"},
	ctxServiceSpec:  {"type", "selector", "ports"},
}

// The kinds of mapping keyOrder knows.
const (
	ctxObject       = "object"
	ctxMetadata     = "metadata"
	ctxPodSpec      = "pod spec"
	ctxContainer    = "container"
	ctxContainerSC  = "container securityContext"
	ctxPodSC        = "pod securityContext"
	ctxCapabilities = "capabilities"
	ctxProfile      = "profile"
	ctxResources    = "resources"
	ctxQuantities   = "quantities"
	ctxPort         = "port"
	ctxVolumeMount  = "volumeMount"
	ctxNetPolSpec   = "NetworkPolicy spec"
	ctxServiceSpec  = "Service spec"
)

var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// mappingContext names the kind of the mapping at path (pointer tokens from
// the object's root) of an object of the given kind; keys are the keys the
// mapping has or will have. It returns "" for mappings keyOrder does not
// list.
func mappingContext(path []string, kind string, keys []string) string {
	n := len(path)
	last := func(i int) string {
		if n-i < 0 {
			return ""
		}
		return path[n-i]
	}
	isIndex := func(s string) bool {
		_, err := strconv.Atoi(s)
		return err == nil
	}
	switch {
	case n == 0:
		return ctxObject
	case n == 1 && last(1) == "metadata", last(1) == "metadata" && last(2) == "template":
		return ctxMetadata
	case isIndex(last(1)) && slices.Contains(containerLists, last(2)):
		return ctxContainer
	case last(1) == "securityContext" && isIndex(last(2)) && slices.Contains(containerLists, last(3)):
		return ctxContainerSC
	case last(1) == "securityContext":
		return ctxPodSC
	case slices.Contains(keys, "containers"):
		return ctxPodSpec
	case last(1) == "capabilities":
		return ctxCapabilities
	case last(1) == "seccompProfile" || last(1) == "appArmorProfile":
		return ctxProfile
	case last(1) == "resources":
		return ctxResources
	case (last(1) == "requests" || last(1) == "limits") && last(2) == "resources":
		return ctxQuantities
	case isIndex(last(1)) && last(2) == "ports":
		return ctxPort
	case isIndex(last(1)) && last(2) == "volumeMounts":
		return ctxVolumeMount
	case n == 1 && last(1) == "spec" && kind == "NetworkPolicy":
		return ctxNetPolSpec
	case n == 1 && last(1) == "spec" && kind == "Service":
		return ctxServiceSpec
	}
	return ""
}

// rank returns the position of key in the order of context ctx, or -1.
func rank(ctx, key string) int {
	return slices.Index(keyOrder[ctx], key)
}

// sortKeys orders the keys of a new mapping of context ctx.
func sortKeys(ctx string, keys []string) []string {
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b string) int {
		ra, rb := rank(ctx, a), rank(ctx, b)
		switch {
		case ra >= 0 && rb >= 0:
			return ra - rb
		case ra >= 0:
			return -1
		case rb >= 0:
			return 1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return out
}

// insertPosition decides where key goes among the existing keys of a
// mapping of context ctx: it returns the index of the existing key to insert
// after, or -1 and the index of the key to insert before; (-1, -1) means at
// the end.
func insertPosition(ctx string, existing []string, key string) (after, before int) {
	r := rank(ctx, key)
	if r < 0 {
		return -1, -1
	}
	after, before = -1, -1
	bestAfter, bestBefore := -1, len(keyOrder[ctx])
	for i, k := range existing {
		rk := rank(ctx, k)
		switch {
		case rk < 0:
		case rk < r && rk > bestAfter:
			bestAfter, after = rk, i
		case rk > r && rk < bestBefore:
			bestBefore, before = rk, i
		}
	}
	if after >= 0 {
		return after, -1
	}
	return -1, before
}
