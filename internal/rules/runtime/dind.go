package runtime

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// dockerDaemons are the programs that start a Docker daemon: dockerd itself
// and the entrypoint scripts of the docker:dind images.
var dockerDaemons = []string{"dockerd", "dockerd-entrypoint.sh", "dockerd-rootless.sh"}

// DockerInDocker reports containers that run a Docker daemon.
var DockerInDocker = &rule.Rule{
	Meta: rule.Meta{
		ID:       "docker-in-docker",
		Title:    "Docker daemon in a container",
		Severity: rule.High,
		Category: rule.CategoryRuntime,
		Doc: "A Docker daemon inside a pod needs privileged mode or an equivalent set of capabilities, and whoever " +
			"reaches its socket or API can run privileged containers on the node's kernel outside Kubernetes' " +
			"control; CI runners are the usual case. The rule flags init, regular and ephemeral containers whose " +
			"image is a Docker-in-Docker image (repository docker with a tag containing dind, such as docker:27-dind) or whose " +
			"command or args run dockerd, and reports privileged ones as critical.",
		Remediation: "Build images with a daemonless or rootless builder, such as Buildah or rootless BuildKit, instead of running a Docker daemon in the pod.",
		References: []framework.Ref{
			framework.PSSRef("baseline", "privileged"),
			framework.CISRef("5.2.2"),
			framework.NSARef("non-root-containers"),
			framework.MITRERef("T1610"),
			framework.MITRERef("T1612"),
			framework.MITRERef("T1611"),
		},
	},
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for _, c := range pod.Containers() {
			p, how := dockerDaemon(c)
			if how == "" {
				continue
			}
			f := rule.Finding{Path: p, Container: c.Name}
			mode := ""
			if sc := c.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
				f.Severity, mode = rule.Critical, " in privileged mode"
			}
			f.Message = fmt.Sprintf("%s runs a Docker daemon%s (%s)", rule.ContainerMessage(c), mode, how)
			pass.Report(f)
		}
		return nil
	},
}

// dockerDaemon returns where and how a container runs a Docker daemon, or
// an empty description when it does not.
func dockerDaemon(c object.Container) (object.Path, string) {
	if dindImage(c.Image) {
		return c.Path.Field("image"), fmt.Sprintf("image %q", c.Image)
	}
	for _, field := range []string{"command", "args"} {
		words := c.Command
		if field == "args" {
			words = c.Args
		}
		for i, w := range words {
			if runsDaemon(w) {
				return c.Path.Field(field).Index(i), fmt.Sprintf("%s[%d] %q", field, i, w)
			}
		}
	}
	return "", ""
}

// dindImage reports whether image is a Docker-in-Docker image: its
// repository's last component is docker and its tag mentions dind, in any
// registry (docker:dind, docker.io/library/docker:27-dind-rootless,
// mirror.example.com/library/docker:dind@sha256:...).
func dindImage(image string) bool {
	name, _, _ := strings.Cut(image, "@")
	slash := strings.LastIndex(name, "/")
	repo, tag, ok := strings.Cut(name[slash+1:], ":")
	return ok && repo == "docker" && strings.Contains(tag, "dind")
}

// runsDaemon reports whether one element of a command line starts a Docker
// daemon, directly or within a shell script such as `dockerd --host=... &`.
func runsDaemon(arg string) bool {
	return slices.ContainsFunc(strings.Fields(arg), func(word string) bool {
		return slices.Contains(dockerDaemons, path.Base(word))
	})
}
