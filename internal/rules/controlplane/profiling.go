package controlplane

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// Profiling reports control-plane components that serve profiling data.
var Profiling = &rule.Rule{
	Meta: rule.Meta{
		ID:       "control-plane-profiling",
		Title:    "Control-plane profiling enabled",
		Severity: rule.Low,
		Category: rule.CategoryControlPlane,
		Doc: "kube-apiserver, kube-controller-manager and kube-scheduler serve Go profiling data under " +
			"/debug/pprof unless --profiling=false is set (the flag defaults to true): it reveals the component's " +
			"internals and lets anyone allowed to reach it load the process with CPU and heap profiles. The rule " +
			"flags those components when their last --profiling is not false, and KubeSchedulerConfiguration files " +
			"whose enableProfiling (default true) is not false; a kube-scheduler started with --config is judged by " +
			"that file alone, since the scheduler then ignores --profiling.",
		Remediation: "Set --profiling=false on kube-apiserver, kube-controller-manager and kube-scheduler, or enableProfiling: false in the KubeSchedulerConfiguration.",
		References: []framework.Ref{
			framework.CISRef("1.2.16"),
			framework.CISRef("1.3.2"),
			framework.CISRef("1.4.1"),
			framework.NSARef("control-plane"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		if isComponentConfig(pass.Object, schedulerConfigGroup, "KubeSchedulerConfiguration") {
			return checkSchedulerConfigProfiling(pass)
		}
		for _, comp := range []cmdline.Component{cmdline.APIServer, cmdline.ControllerManager, cmdline.Scheduler} {
			for _, cl := range commandLines(pass, comp) {
				if comp == cmdline.Scheduler && cl.Has("config") {
					continue
				}
				if err := checkProfilingFlag(pass, cl); err != nil {
					return err
				}
			}
		}
		return nil
	},
}

func checkProfilingFlag(pass *rule.Pass, cl *cmdline.CommandLine) error {
	profiling, err := lookupBool(cl, "profiling", true)
	if err != nil || !profiling.Value {
		return err
	}
	detail := "--profiling is not set and defaults to true"
	if profiling.Set {
		detail = profiling.Flag.String()
	}
	fix := func() *rule.Fix { return safeFix(cl.SetFix("profiling", "false")) }
	pass.ReportContainer(cl.Container, profiling.path(cl), fix,
		"%s serves profiling data from %s (%s)", rule.ContainerMessage(cl.Container), cl.Component, detail)
	return nil
}

const schedulerConfigGroup = "kubescheduler.config.k8s.io"

func checkSchedulerConfigProfiling(pass *rule.Pass) error {
	p := object.Path("enableProfiling")
	enabled, set, err := genericBool(pass.Object, p)
	if err != nil || (set && !enabled) {
		return err
	}
	detail := "enableProfiling is not set and defaults to true"
	if set {
		detail = "enableProfiling=true"
	}
	fix := func() *rule.Fix { return safeFix([]rule.PatchOp{rule.Set(p, false)}) }
	pass.Reportf(p, fix,
		"the KubeSchedulerConfiguration makes kube-scheduler serve profiling data (%s)", detail)
	return nil
}
