package controlplane

import (
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// The kubelet reads its settings from a KubeletConfiguration file given by
// --config and from flags, which override the file. The defaults differ:
// a setting absent from the file takes the secure default of the
// kubelet.config.k8s.io/v1beta1 API (anonymous authentication off, Webhook
// authorization, read-only port 0), while a kubelet started without
// --config keeps the historical flag defaults (anonymous authentication on,
// AlwaysAllow, read-only port 10255).

const kubeletConfigGroup = "kubelet.config.k8s.io"

// Paths of the KubeletConfiguration fields the rules read.
const (
	kubeletAnonymousPath    object.Path = "authentication.anonymous.enabled"
	kubeletAuthzModePath    object.Path = "authorization.mode"
	kubeletReadOnlyPortPath object.Path = "readOnlyPort"
)

// isKubeletConfig reports whether o is a KubeletConfiguration file.
func isKubeletConfig(o *object.Object) bool {
	return isComponentConfig(o, kubeletConfigGroup, "KubeletConfiguration")
}

// kubeletFlag returns the last occurrence of a kubelet flag, and whether
// the command line decides the setting: the flag is set, or the kubelet
// has no --config file and uses the flag's default.
func kubeletFlag(cl *cmdline.CommandLine, name string) (f cmdline.Flag, set, decides bool) {
	f, set = cl.Last(name)
	return f, set, set || !cl.Has("config")
}

// kubeletConfigAuthorizesAll reports whether a KubeletConfiguration sets
// the AlwaysAllow authorization mode (the default is Webhook).
func kubeletConfigAuthorizesAll(o *object.Object) (bool, error) {
	mode, _, err := genericString(o, kubeletAuthzModePath)
	return mode == alwaysAllow, err
}

// kubeletFlagsAuthorizeAll reports whether a kubelet's command line sets
// the AlwaysAllow authorization mode, or leaves it to its default,
// AlwaysAllow, without a --config file.
func kubeletFlagsAuthorizeAll(cl *cmdline.CommandLine) bool {
	f, set, decides := kubeletFlag(cl, "authorization-mode")
	return decides && (!set || f.Value == alwaysAllow)
}
