package supplychain

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ImageNotPinned reports containers whose image is not pinned by digest.
var ImageNotPinned = &rule.Rule{
	Meta: rule.Meta{
		ID:       "image-not-pinned",
		Title:    "Image not pinned by digest",
		Severity: rule.Low,
		Category: rule.CategorySupplyChain,
		Doc: "A tag is a pointer the registry lets anyone with push rights move, so even a version tag such as " +
			"1.27.3 can be re-pushed with different content; only a digest names exactly one image, which is " +
			"what signature verification, scanning results and rollbacks need to refer to. The rule flags the " +
			"image of init, regular and ephemeral containers when it has no digest (image@sha256:...). " +
			"Floating tags such as latest are also reported by image-tag-latest.",
		Remediation: "Append the digest of the tested image to its reference (name:tag@sha256:digest).",
		References: []framework.Ref{
			framework.CISRef("5.5.1"),
			framework.NSARef("secure-images"),
			framework.MITRERef("T1525"),
		},
	},
	Run: func(pass *rule.Pass) error {
		imgs, err := images(pass)
		for _, im := range imgs {
			if im.ref.Digest == "" {
				pass.ReportContainer(im.Container, im.path(), nil,
					"%s image %q is not pinned by digest", rule.ContainerMessage(im.Container), im.Image)
			}
		}
		return err
	},
}
