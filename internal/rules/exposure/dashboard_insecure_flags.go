package exposure

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// DashboardInsecureFlags reports Kubernetes Dashboard containers started
// with flags that bypass or weaken its authentication.
var DashboardInsecureFlags = &rule.Rule{
	Meta: rule.Meta{
		ID:       "dashboard-insecure-flags",
		Title:    "Kubernetes Dashboard started with insecure flags",
		Severity: rule.High,
		Category: rule.CategoryExposure,
		Doc: "The Dashboard acts with the credentials of whoever logs in, except when told otherwise: " +
			"--enable-skip-login lets anyone skip the login and act as the Dashboard's own service account, " +
			"--enable-insecure-login accepts tokens over plain HTTP, --disable-settings-authorizer lets every user " +
			"change global settings, and --insecure-bind-address with a non-loopback address serves plain HTTP to " +
			"the network (--insecure-port alone only moves the loopback listener, so it is not reported). The rule " +
			"reads the args and command of every container running a Dashboard image; boolean flags set to false " +
			"are not reported.",
		Remediation: "Remove the flag from the Dashboard container's arguments.",
		References: []framework.Ref{
			framework.NSARef("authentication"),
			framework.MITRERef("T1133"),
			framework.MITRERef("T1078"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for _, c := range pod.Containers() {
			if uiByImage(c.Image) != kubernetesDashboard {
				continue
			}
			checkDashboardArgs(pass, c, "command", c.Command)
			checkDashboardArgs(pass, c, "args", c.Args)
		}
		return nil
	},
}

// dashboardFlag is a Dashboard flag that weakens its authentication.
type dashboardFlag struct {
	name     string
	severity rule.Severity
	// takesValue flags read their value after "=" or from the next
	// argument; the others are booleans, on when bare or set to true.
	takesValue bool
	// risky reports whether the flag's value is dangerous.
	risky func(value string) bool
	// effect completes the message: what the flag lets happen.
	effect string
	// breaks, when set, makes removing the flag an unsafe fix and says what
	// may stop working.
	breaks string
}

var dashboardFlags = []dashboardFlag{
	{
		name: "enable-skip-login", severity: rule.Critical, risky: isTrue,
		effect: "lets anyone skip the login and act as the Dashboard's service account",
	},
	{
		name: "enable-insecure-login", severity: rule.High, risky: isTrue,
		effect: "accepts logins over plain HTTP, sending bearer tokens in clear text",
		breaks: "users who reach the Dashboard over plain HTTP (for example through kubectl proxy) can no longer log in; serve it over HTTPS first",
	},
	{
		name: "disable-settings-authorizer", severity: rule.Medium, risky: isTrue,
		effect: "lets every user change the Dashboard's global settings",
	},
	{
		name: "insecure-bind-address", severity: rule.High, takesValue: true, risky: isNonLoopbackIP,
		effect: "serves plain HTTP on a network address",
		breaks: "Services, Ingresses and probes that reach the Dashboard's plain-HTTP port stop working; point them at the HTTPS port first",
	},
}

// isTrue reports whether a boolean flag's value turns it on, as
// strconv.ParseBool reads it (the Dashboard's flag parser does the same).
func isTrue(value string) bool {
	on, err := strconv.ParseBool(value)
	return err == nil && on
}

// isNonLoopbackIP reports whether value is an IP address other than a
// loopback one. Anything else fails the Dashboard's flag parser.
func isNonLoopbackIP(value string) bool {
	ip := net.ParseIP(value)
	return ip != nil && !ip.IsLoopback()
}

// checkDashboardArgs reports the risky flags in one of c's argument lists
// (field is "command" or "args").
func checkDashboardArgs(pass *rule.Pass, c object.Container, field string, list []string) {
	listPath := c.Path.Field(field)
	for j, arg := range list {
		flag, ok := strings.CutPrefix(arg, "--")
		if !ok {
			continue
		}
		name, value, hasValue := strings.Cut(flag, "=")
		for _, f := range dashboardFlags {
			if f.name != name {
				continue
			}
			elems := []string{arg}
			switch {
			case !hasValue && f.takesValue && j+1 < len(list):
				value = list[j+1]
				elems = append(elems, value)
			case !hasValue && !f.takesValue:
				value = "true"
			}
			if !f.risky(value) {
				continue
			}
			breaks := f.breaks
			pass.Report(rule.Finding{
				Path:      listPath.Index(j),
				Container: c.Name,
				Severity:  f.severity,
				Message:   fmt.Sprintf("%s runs the Kubernetes Dashboard with %s, which %s (%s[%d])", rule.ContainerMessage(c), arg, f.effect, field, j),
				Fix:       func() *rule.Fix { return removeArgsFix(listPath, j, elems, breaks) },
			})
		}
	}
}

// removeArgsFix removes elems, which start at index first of the list at
// p. Each removal is guarded by a JSON Patch test, so that the patch fails
// rather than removes the wrong element if the list has changed.
func removeArgsFix(p object.Path, first int, elems []string, breaks string) *rule.Fix {
	var ops []rule.PatchOp
	for i, v := range elems {
		ops = append(ops, rule.PatchOp{Op: "test", Path: p.Index(first + i).Pointer(), Value: v})
	}
	for i := len(elems) - 1; i >= 0; i-- {
		ops = append(ops, rule.Remove(p.Index(first+i)))
	}
	return &rule.Fix{Patch: ops, Unsafe: breaks != "", Note: breaks}
}
