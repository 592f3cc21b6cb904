package supplychain

import (
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// ImageRegistryNotAllowed reports containers whose image comes from a
// registry outside the configured allow-list.
var ImageRegistryNotAllowed = &rule.Rule{
	Meta: rule.Meta{
		ID:       "image-registry-not-allowed",
		Title:    "Image from a registry outside the allow-list",
		Severity: rule.Medium,
		Category: rule.CategorySupplyChain,
		Doc: "Images from registries the organisation does not control or mirror bypass its scanning, signing " +
			"and retention, and a typo-squatted or abandoned repository on a public registry is a common way " +
			"to get malicious code run. The rule compares the registry and repository of every init, regular " +
			"and ephemeral container image with the registries parameter, after normalising Docker Hub names " +
			"(nginx is docker.io/library/nginx and index.docker.io is docker.io). It does nothing until that " +
			"parameter lists at least one registry.",
		Remediation: "Pull the image from an allowed registry, mirroring it there if needed, or add its registry to the registries parameter.",
		References: []framework.Ref{
			framework.CISRef("5.5.1"),
			framework.NSARef("secure-images"),
			framework.MITRERef("T1204.003"),
		},
		Params: []rule.Param{{
			Name: "registries",
			Doc: "Registries images may come from: a host with its port if any (registry.example.com:5000), " +
				"optionally followed by a repository prefix (ghcr.io/acme, docker.io/library); empty disables the rule.",
			Default: []string{},
		}},
	},
	Run: func(pass *rule.Pass) error {
		allowed := allowList(pass.StringsParam("registries"))
		if len(allowed) == 0 {
			return nil
		}
		imgs, err := images(pass)
		for _, im := range imgs {
			if !permitted(im.ref, allowed) {
				pass.ReportContainer(im.Container, im.path(), nil,
					"%s image %q comes from %s, which is not in the allowed registries (%s)",
					rule.ContainerMessage(im.Container), im.Image, im.ref.Name(), strings.Join(allowed, ", "))
			}
		}
		return err
	},
}

// allowList normalises the entries of the registries parameter the way
// parseReference normalises images: hosts are lower-cased, Docker Hub's
// aliases become docker.io, and trailing slashes and blank entries are
// dropped. Repository prefixes are kept as written, so Docker Hub's official
// images must be allowed as docker.io/library, not docker.io/nginx.
func allowList(entries []string) []string {
	var out []string
	for _, e := range entries {
		e = strings.TrimSuffix(strings.TrimSpace(e), "/")
		if e == "" {
			continue
		}
		host, path, hasPath := strings.Cut(e, "/")
		host = normaliseDomain(host)
		if hasPath {
			host += "/" + path
		}
		out = append(out, host)
	}
	return out
}

// permitted reports whether the repository of r is one of allowed or lies
// under one of them. Prefixes end at a path separator: ghcr.io/acme allows
// ghcr.io/acme/api but not ghcr.io/acme-evil/api.
func permitted(r reference, allowed []string) bool {
	name := r.Name()
	for _, a := range allowed {
		if name == a || strings.HasPrefix(name, a+"/") {
			return true
		}
	}
	return false
}
