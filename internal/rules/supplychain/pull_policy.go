package supplychain

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ImagePullPolicy reports containers that may start a tag-referenced image
// from the node's cache instead of pulling it.
var ImagePullPolicy = &rule.Rule{
	Meta: rule.Meta{
		ID:       "image-pull-policy",
		Title:    "Mutable image not always pulled",
		Severity: rule.Low,
		Category: rule.CategorySupplyChain,
		Doc: "With imagePullPolicy IfNotPresent or Never the kubelet starts a container from the node's image " +
			"cache when the image is there, without asking the registry: any pod that knows the image name can " +
			"then run a private image another pod pulled, with no check that it holds pull credentials, and a " +
			"re-pushed tag runs as different code on different nodes. The rule flags init, regular and ephemeral " +
			"containers whose image is referenced by a tag rather than a digest and whose imagePullPolicy, written " +
			"or defaulted (IfNotPresent for any tag but latest), is not Always.",
		Remediation: "Set imagePullPolicy to Always, or pin the image by digest.",
		References: []framework.Ref{
			framework.CISRef("1.2.11"),
			framework.NSARef("secure-images"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		imgs, err := images(pass)
		for _, im := range imgs {
			if im.ref.Digest != "" {
				continue
			}
			policy := effectivePullPolicy(im)
			if policy == corev1.PullAlways {
				continue
			}
			p := im.Path.Field("imagePullPolicy")
			fix := func() *rule.Fix {
				return &rule.Fix{
					Patch:  []rule.PatchOp{rule.Set(p, string(corev1.PullAlways))},
					Unsafe: true,
					Note:   "pods then fail to start while the registry is unreachable; clusters that run from preloaded images need IfNotPresent",
				}
			}
			if im.ImagePullPolicy == "" {
				pass.ReportContainer(im.Container, p, fix,
					"%s image %q is referenced by tag and imagePullPolicy is not set, so it defaults to %s",
					rule.ContainerMessage(im.Container), im.Image, policy)
			} else {
				pass.ReportContainer(im.Container, p, fix,
					"%s image %q is referenced by tag with imagePullPolicy=%s",
					rule.ContainerMessage(im.Container), im.Image, policy)
			}
		}
		return err
	},
}

// effectivePullPolicy returns the container's imagePullPolicy, or the value
// the API server defaults it to: Always for images without a digest whose
// tag is latest or absent, IfNotPresent otherwise.
func effectivePullPolicy(im image) corev1.PullPolicy {
	switch {
	case im.ImagePullPolicy != "":
		return im.ImagePullPolicy
	case im.ref.floating():
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}
