package controlplane

import (
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// APIServerNodeRestriction reports API servers that let a kubelet modify
// other nodes and the pods bound to them.
var APIServerNodeRestriction = &rule.Rule{
	Meta: rule.Meta{
		ID:       "apiserver-node-restriction-missing",
		Title:    "NodeRestriction admission plugin not enabled",
		Severity: rule.Medium,
		Category: rule.CategoryControlPlane,
		Doc: "The NodeRestriction admission plugin limits each kubelet to its own Node object and the pods bound " +
			"to it, and stops kubelets from setting node-restriction.kubernetes.io/ labels; without it, one " +
			"compromised node can relabel or taint the others to attract workloads and their secrets. " +
			"NodeRestriction is not enabled by default: the rule flags kube-apiserver containers that do not list " +
			"it in --enable-admission-plugins (or the older --admission-control), and those that list it in " +
			"--disable-admission-plugins.",
		Remediation: "Add NodeRestriction to --enable-admission-plugins on kube-apiserver and keep it out of --disable-admission-plugins.",
		References: []framework.Ref{
			framework.CISRef("1.2.15"),
			framework.NSARef("control-plane"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		for _, cl := range commandLines(pass, cmdline.APIServer) {
			who := rule.ContainerMessage(cl.Container)
			disabled := false
			for _, f := range cl.Lookup("disable-admission-plugins") {
				if !slices.Contains(f.List(), nodeRestriction) {
					continue
				}
				disabled = true
				fix := func() *rule.Fix { return safeFix(withoutPlugin(f)) }
				pass.ReportContainer(cl.Container, f.Path, fix,
					"%s disables the NodeRestriction admission plugin (%s)", who, f)
			}
			if disabled || nodeRestrictionEnabled(cl) {
				continue
			}
			list, ok := enableList(cl)
			if !ok {
				fix := func() *rule.Fix { return safeFix(cl.AppendFix("--enable-admission-plugins=" + nodeRestriction)) }
				pass.ReportContainer(cl.Container, cl.Anchor(), fix,
					"%s does not enable the NodeRestriction admission plugin (--enable-admission-plugins is not set)", who)
				continue
			}
			fix := func() *rule.Fix {
				return safeFix(cmdline.Rewrite(list, strings.Join(append(list.List(), nodeRestriction), ",")))
			}
			pass.ReportContainer(cl.Container, list.Path, fix,
				"%s does not enable the NodeRestriction admission plugin (%s)", who, list)
		}
		return nil
	},
}

const nodeRestriction = "NodeRestriction"

// nodeRestrictionEnabled reports whether any list of enabled admission
// plugins holds NodeRestriction.
func nodeRestrictionEnabled(cl *cmdline.CommandLine) bool {
	for _, name := range []string{"enable-admission-plugins", "admission-control"} {
		for _, it := range cl.Items(name) {
			if it.Value == nodeRestriction {
				return true
			}
		}
	}
	return false
}

// enableList returns the flag a plugin is best added to: the last
// --enable-admission-plugins, or else the last --admission-control, which
// kube-apiserver does not accept together with the newer flags.
func enableList(cl *cmdline.CommandLine) (cmdline.Flag, bool) {
	if f, ok := cl.Last("enable-admission-plugins"); ok {
		return f, true
	}
	return cl.Last("admission-control")
}

// withoutPlugin returns a patch that drops NodeRestriction from a
// --disable-admission-plugins flag, or removes the flag when nothing else
// is left in it.
func withoutPlugin(f cmdline.Flag) []rule.PatchOp {
	rest := slices.DeleteFunc(f.List(), func(p string) bool { return p == nodeRestriction })
	if len(rest) == 0 {
		return cmdline.RemoveFix(f)
	}
	return cmdline.Rewrite(f, strings.Join(rest, ","))
}
