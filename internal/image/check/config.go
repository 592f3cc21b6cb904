package check

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/secretscan"
)

// ConfigChecks returns the checks of the image configuration, in
// documentation order.
func ConfigChecks() []*Check {
	return []*Check{RunsAsRoot, SecretInEnv, SecretInLabel, SecretInHistory, PipeToShell, AddFromURL, SudoInstalled, SensitivePort, LDPreloadEnv, NoHealthcheck, LatestTag}
}

func configLoc(field, createdBy string) Location {
	return Location{Layer: -1, Field: field, CreatedBy: createdBy, Present: true}
}

// RunsAsRoot reports images whose configuration runs the process as root.
var RunsAsRoot = &Check{
	Meta: rule.Meta{
		ID:       "image-runs-as-root",
		Title:    "Image runs as root",
		Severity: rule.Medium,
		Category: rule.CategoryImageConfig,
		Doc: "An image without a USER instruction, or with USER root or 0, starts its process as root unless the pod " +
			"overrides it with runAsUser. Root in a container is root on the host's kernel: one escape or one " +
			"writable host mount away from the node. The rule reads config.User.",
		Remediation: "Add a USER instruction with a non-root numeric user ID to the Dockerfile.",
		References:  []framework.Ref{framework.CISRef("5.2.7"), framework.NSARef("non-root-containers")},
	},
	Run: func(in *Input) []Finding {
		u := strings.TrimSpace(in.Config.Config.User)
		user, _, _ := strings.Cut(u, ":")
		switch user {
		case "":
			return []Finding{{Message: "the image sets no USER, so its process runs as root", Location: configLoc("config.User", "")}}
		case "root", "0":
			return []Finding{{Message: fmt.Sprintf("the image runs as %s (USER %s)", user, u), Location: configLoc("config.User", "")}}
		}
		return nil
	},
}

// SecretInEnv reports credentials in the image's environment.
var SecretInEnv = &Check{
	Meta: rule.Meta{
		ID:       "image-secret-in-env",
		Title:    "Credential in the image environment",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "ENV values are stored in the image configuration in plain text: anyone who can pull the image reads " +
			"them with docker inspect, and every container inherits them. The rule runs the credential detectors " +
			"over every config.Env entry, judging generic values by the variable's name and randomness.",
		Remediation: "Remove the credential from the Dockerfile, pass it at run time from a Kubernetes Secret, and rotate it.",
		References:  []framework.Ref{framework.MITRERef("T1552.001"), framework.CISRef("5.4.1")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for i, e := range in.Config.Config.Env {
			name, value, _ := strings.Cut(e, "=")
			for _, c := range secretscan.Scan(name, value) {
				loc := configLoc(fmt.Sprintf("config.Env[%d]", i), "")
				loc.Evidence = name + "=" + secretscan.Mask(c.Secret)
				out = append(out, Finding{Message: fmt.Sprintf("environment variable %s holds %s", name, c.Describe()), Location: loc})
				break
			}
		}
		return out
	},
}

// SecretInLabel reports credentials in image labels.
var SecretInLabel = &Check{
	Meta: rule.Meta{
		ID:       "image-secret-in-label",
		Title:    "Credential in an image label",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "Labels are public metadata of the image configuration, shown by registries and docker inspect. The " +
			"rule runs the credential detectors over every config.Labels value, with the label key as its name.",
		Remediation: "Remove the credential from the label, rebuild the image and rotate the credential.",
		References:  []framework.Ref{framework.MITRERef("T1552.001")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		keys := make([]string, 0, len(in.Config.Config.Labels))
		for k := range in.Config.Config.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, c := range secretscan.Scan(k, in.Config.Config.Labels[k]) {
				loc := configLoc("config.Labels["+strconv.Quote(k)+"]", "")
				loc.Evidence = secretscan.Mask(c.Secret)
				out = append(out, Finding{Message: fmt.Sprintf("label %s holds %s", k, c.Describe()), Location: loc})
				break
			}
		}
		return out
	},
}

// SecretInHistory reports credentials in build history.
var SecretInHistory = &Check{
	Meta: rule.Meta{
		ID:       "image-secret-in-history",
		Title:    "Credential in the build history",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "Every RUN, ARG and ENV instruction is recorded in the image history (created_by), with build " +
			"arguments expanded. A token passed with --build-arg or written into a RUN line is readable by anyone " +
			"who pulls the image, even when the layer that used it deleted it. The rule scans each created_by line " +
			"for credentials, including key=value pairs and URLs with passwords.",
		Remediation: "Pass build secrets with BuildKit secret mounts (RUN --mount=type=secret) instead of arguments, and rotate the credential.",
		References:  []framework.Ref{framework.MITRERef("T1552.001")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for i, h := range in.Config.History {
			for _, c := range secretscan.Scan("created_by", h.CreatedBy) {
				loc := configLoc(fmt.Sprintf("history[%d].created_by", i), truncate(maskSecret(h.CreatedBy, c.Secret), 160))
				loc.Evidence = secretscan.Mask(c.Secret)
				out = append(out, Finding{Message: fmt.Sprintf("history entry %d holds %s", i, c.Describe()), Location: loc})
				break
			}
		}
		return out
	},
}

func maskSecret(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, secretscan.Mask(secret))
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

var (
	pipeToShellRE = regexp.MustCompile(`\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/usr)?(?:/bin/)?(?:ba|z|da|k)?sh\b`)
	addURLRE      = regexp.MustCompile(`(?i)(?:^|\s)ADD\s+(?:--\S+\s+)*(https?://\S+)`)
)

// PipeToShell reports scripts downloaded and run in one step.
var PipeToShell = &Check{
	Meta: rule.Meta{
		ID:       "image-curl-pipe-shell",
		Title:    "Downloaded script piped into a shell",
		Severity: rule.Medium,
		Category: rule.CategorySupplyChain,
		Doc: "curl ... | sh and wget -O- ... | sh run whatever the server returns at build time, with no checksum or " +
			"signature: a compromised or spoofed server puts its code into the image. The rule reads every history " +
			"created_by line.",
		Remediation: "Download the script to a file, verify its checksum or signature, then run it.",
		References:  []framework.Ref{framework.MITRERef("T1195.002"), framework.MITRERef("T1105")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for i, h := range in.Config.History {
			if m := pipeToShellRE.FindString(h.CreatedBy); m != "" {
				loc := configLoc(fmt.Sprintf("history[%d].created_by", i), truncate(h.CreatedBy, 160))
				loc.Evidence = truncate(m, 120)
				out = append(out, Finding{Message: fmt.Sprintf("history entry %d pipes a download into a shell", i), Location: loc})
			}
		}
		return out
	},
}

// AddFromURL reports ADD instructions that fetch URLs.
var AddFromURL = &Check{
	Meta: rule.Meta{
		ID:       "image-add-from-url",
		Title:    "ADD from a URL",
		Severity: rule.Low,
		Category: rule.CategorySupplyChain,
		Doc: "ADD with a URL downloads a file at build time without verifying it (unless --checksum is given), so " +
			"the image contains whatever the server returned that day. The rule reads every history created_by line " +
			"for ADD with an http or https source and no --checksum.",
		Remediation: "Pin the download with ADD --checksum=sha256:DIGEST, or download it with curl and verify its checksum in a RUN step.",
		References:  []framework.Ref{framework.MITRERef("T1195.002"), framework.MITRERef("T1105")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		for i, h := range in.Config.History {
			m := addURLRE.FindStringSubmatch(h.CreatedBy)
			if m == nil || strings.Contains(h.CreatedBy, "--checksum") {
				continue
			}
			loc := configLoc(fmt.Sprintf("history[%d].created_by", i), truncate(h.CreatedBy, 160))
			loc.Evidence = truncate(m[1], 120)
			out = append(out, Finding{Message: fmt.Sprintf("history entry %d adds %s without a checksum", i, truncate(m[1], 80)), Location: loc})
		}
		return out
	},
}

// SudoInstalled reports sudo in the image.
var SudoInstalled = &Check{
	Meta: rule.Meta{
		ID:       "image-sudo-installed",
		Title:    "sudo installed",
		Severity: rule.Low,
		Category: rule.CategoryImageConfig,
		Doc: "sudo in a container is a setuid-root binary that turns any process running as a user allowed in " +
			"sudoers into root, and it has a history of privilege-escalation bugs; containers should drop " +
			"privileges once, not carry a way back. The rule looks for the sudo package or /usr/bin/sudo in the " +
			"merged filesystem.",
		Remediation: "Remove sudo from the image and do privileged work at build time or in an init container.",
		References:  []framework.Ref{framework.MITRERef("T1068"), framework.NSARef("non-root-containers")},
	},
	Run: func(in *Input) []Finding {
		for _, p := range in.Packages {
			if p.Name == "sudo" && (p.Type == "deb" || p.Type == "apk" || p.Type == "rpm") {
				loc := in.Locate(p.Layer, p.Path)
				loc.Evidence = p.Name + " " + p.Version
				return []Finding{{Message: fmt.Sprintf("package sudo %s is installed", p.Version), Location: loc}}
			}
		}
		for _, p := range []string{"/usr/bin/sudo", "/bin/sudo", "/usr/local/bin/sudo"} {
			if f, layer, ok := in.Index.Lookup(p); ok && f != nil {
				return []Finding{{Message: p + " is present", Location: in.Locate(layer, p)}}
			}
		}
		return nil
	},
}

// SensitivePort reports exposed SSH and Docker API ports.
var SensitivePort = &Check{
	Meta: rule.Meta{
		ID:       "image-sensitive-port",
		Title:    "Sensitive port exposed",
		Severity: rule.High,
		Category: rule.CategoryImageConfig,
		Doc: "EXPOSE 2375 announces the Docker API without TLS, which gives whoever reaches it root on the host; " +
			"2376 is the same API with TLS, and 22 is an SSH server, which containers should not run. Attackers " +
			"scan for exactly these ports. The rule reads config.ExposedPorts.",
		Remediation: "Remove the EXPOSE instruction and the service behind it, and reach containers through kubectl exec.",
		References:  []framework.Ref{framework.MITRERef("T1133"), framework.MITRERef("T1021.004")},
	},
	Run: func(in *Input) []Finding {
		var out []Finding
		ports := make([]string, 0, len(in.Config.Config.ExposedPorts))
		for p := range in.Config.Config.ExposedPorts {
			ports = append(ports, p)
		}
		sort.Strings(ports)
		for _, p := range ports {
			num, _, _ := strings.Cut(p, "/")
			var what string
			sev := rule.High
			switch num {
			case "2375":
				what, sev = "the Docker API without TLS", rule.Critical
			case "2376":
				what = "the Docker API"
			case "22":
				what, sev = "SSH", rule.Medium
			default:
				continue
			}
			loc := configLoc("config.ExposedPorts["+strconv.Quote(p)+"]", "")
			out = append(out, Finding{Severity: sev, Message: fmt.Sprintf("the image exposes port %s (%s)", p, what), Location: loc})
		}
		return out
	},
}

// LDPreloadEnv reports LD_PRELOAD in the image environment.
var LDPreloadEnv = &Check{
	Meta: rule.Meta{
		ID:       "image-ld-preload-env",
		Title:    "LD_PRELOAD set in the image",
		Severity: rule.High,
		Category: rule.CategoryMalware,
		Doc: "LD_PRELOAD makes the dynamic linker load a library into every program the container starts, before " +
			"libc: the way userland rootkits and credential sniffers hook functions. Legitimate uses (jemalloc, " +
			"profilers) exist but belong in the deployment, where they are visible, not hidden in the image.",
		Remediation: "Remove LD_PRELOAD from the image's ENV and set it in the pod spec if a library must really be preloaded.",
		References:  []framework.Ref{framework.MITRERef("T1574.006")},
	},
	Run: func(in *Input) []Finding {
		for i, e := range in.Config.Config.Env {
			if name, value, _ := strings.Cut(e, "="); name == "LD_PRELOAD" && strings.TrimSpace(value) != "" {
				loc := configLoc(fmt.Sprintf("config.Env[%d]", i), "")
				loc.Evidence = truncate(e, 120)
				return []Finding{{Message: "the image sets LD_PRELOAD=" + truncate(value, 80), Location: loc}}
			}
		}
		return nil
	},
}

// NoHealthcheck reports images without a HEALTHCHECK.
var NoHealthcheck = &Check{
	Meta: rule.Meta{
		ID:       "image-no-healthcheck",
		Title:    "No HEALTHCHECK",
		Severity: rule.Info,
		Category: rule.CategoryImageConfig,
		Doc: "Without a HEALTHCHECK, Docker and Compose cannot tell a hung process from a healthy one. Kubernetes " +
			"ignores HEALTHCHECK and uses probes instead, so this is information only: check that the workloads " +
			"running the image define liveness and readiness probes.",
		Remediation: "Define liveness and readiness probes in the pod spec, or add a HEALTHCHECK for plain Docker use.",
		References:  []framework.Ref{framework.NSARef("hardening-containers")},
	},
	Run: func(in *Input) []Finding {
		hc := in.Config.Config.Healthcheck
		if hc == nil || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
			return []Finding{{Message: "the image defines no HEALTHCHECK", Location: configLoc("config.Healthcheck", "")}}
		}
		return nil
	},
}

// LatestTag reports images referred to by the latest tag.
var LatestTag = &Check{
	Meta: rule.Meta{
		ID:       "image-latest-tag",
		Title:    "Image tagged latest",
		Severity: rule.Low,
		Category: rule.CategorySupplyChain,
		Doc: "The latest tag moves with every push, so the image scanned today is not the one a node pulls " +
			"tomorrow, and a rollback has nothing to go back to. The rule looks at the tag the image was named by.",
		Remediation: "Refer to the image by an immutable version tag or, better, by its digest.",
		References:  []framework.Ref{framework.MITRERef("T1525"), framework.CISRef("5.5.1")},
	},
	Run: func(in *Input) []Finding {
		if in.Tag == "latest" {
			return []Finding{{Message: "the image is named by the mutable tag latest", Location: configLoc("tag", "")}}
		}
		return nil
	},
}
