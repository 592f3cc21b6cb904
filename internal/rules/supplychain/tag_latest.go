package supplychain

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ImageTagLatest reports containers whose image resolves through the
// "latest" tag, written or implied.
var ImageTagLatest = &rule.Rule{
	Meta: rule.Meta{
		ID:       "image-tag-latest",
		Title:    "Image uses the latest tag",
		Severity: rule.Medium,
		Category: rule.CategorySupplyChain,
		Doc: "An image with the tag latest, or with no tag and no digest (which runtimes read as latest), names " +
			"whatever was pushed last: two nodes can run different code under the same manifest, a rollback " +
			"redeploys the new image, and a compromised registry account changes production without a change " +
			"to the manifest. The rule flags the image of init, regular and ephemeral containers when it has no " +
			"digest and its tag is latest or absent; a registry port such as localhost:5000/app is not a tag.",
		Remediation: "Reference the image by an immutable version tag, or better by its digest (name@sha256:digest).",
		References: []framework.Ref{
			framework.CISRef("5.5.1"),
			framework.NSARef("secure-images"),
			framework.MITRERef("T1525"),
			framework.MITRERef("T1204.003"),
		},
	},
	Run: func(pass *rule.Pass) error {
		imgs, err := images(pass)
		for _, im := range imgs {
			if !im.ref.floating() {
				continue
			}
			if im.ref.Tag == "" {
				pass.ReportContainer(im.Container, im.path(), nil,
					"%s image %q has no tag and no digest, so it pulls %s:latest", rule.ContainerMessage(im.Container), im.Image, im.ref.Name())
			} else {
				pass.ReportContainer(im.Container, im.path(), nil,
					"%s image %q uses the mutable tag latest", rule.ContainerMessage(im.Container), im.Image)
			}
		}
		return err
	},
}
