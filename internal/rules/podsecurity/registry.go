package podsecurity

import (
	"fmt"
	"sync"
	"sync/atomic"

	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/rule"
)

// registry says, for each level and policy version, which implementation of
// each check the PSA evaluator runs. It mirrors the evaluator's own tables
// (policy.NewEvaluator) but keeps the check IDs, which the evaluator's
// results do not carry, so that every check can be its own rule.
type registry struct {
	// latest is the newest MinimumVersion of any check: the policy that
	// "latest" and every newer version evaluate to.
	latest api.Version
	// baseline and restricted map a minor version (v1.N at index N, up to
	// latest) to the implementations that run at that level and version,
	// by check ID. A check missing from the map does not apply.
	baseline, restricted []map[policy.CheckID]policy.CheckPodFn
}

// newRegistry builds the tables for checks, which must be valid for
// policy.NewEvaluator.
//
// At the baseline level a version runs the newest implementation of each
// baseline check whose MinimumVersion is not newer than it. At the
// restricted level it runs the same for restricted checks, plus the baseline
// checks that none of those implementations lists in OverrideCheckIDs.
func newRegistry(checks []policy.Check) (*registry, error) {
	if _, err := policy.NewEvaluator(checks, nil); err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	r := &registry{latest: api.MajorMinorVersion(1, 0)}
	for _, c := range checks {
		if last := c.Versions[len(c.Versions)-1].MinimumVersion; r.latest.Older(last) {
			r.latest = last
		}
	}
	for minor := 0; minor <= r.latest.Minor(); minor++ {
		v := api.MajorMinorVersion(1, minor)
		baseline := map[policy.CheckID]policy.CheckPodFn{}
		restricted := map[policy.CheckID]policy.CheckPodFn{}
		overridden := map[policy.CheckID]bool{}
		for _, c := range checks {
			vc := implementationAt(c, v)
			if vc == nil {
				continue
			}
			if c.Level == api.LevelBaseline {
				baseline[c.ID] = vc.CheckPod
				continue
			}
			restricted[c.ID] = vc.CheckPod
			for _, id := range vc.OverrideCheckIDs {
				overridden[id] = true
			}
		}
		for id, fn := range baseline {
			if !overridden[id] {
				restricted[id] = fn
			}
		}
		r.baseline = append(r.baseline, baseline)
		r.restricted = append(r.restricted, restricted)
	}
	return r, nil
}

// implementationAt returns the newest version of c whose MinimumVersion is
// not newer than v, or nil if c does not exist yet at v.
func implementationAt(c policy.Check, v api.Version) *policy.VersionedCheck {
	var found *policy.VersionedCheck
	for i := range c.Versions {
		if v.Older(c.Versions[i].MinimumVersion) {
			break
		}
		found = &c.Versions[i]
	}
	return found
}

// checks returns the implementations that run at lv, by check ID. Versions
// newer than the registry's latest, and "latest" itself, use the newest
// policy, as the evaluator does.
func (r *registry) checks(lv api.LevelVersion) map[policy.CheckID]policy.CheckPodFn {
	v := lv.Version
	if r.latest.Older(v) {
		v = r.latest
	}
	switch lv.Level {
	case api.LevelBaseline:
		return r.baseline[v.Minor()]
	case api.LevelRestricted:
		return r.restricted[v.Minor()]
	}
	return nil // privileged: nothing is forbidden
}

// defaultRegistry is the registry of policy.DefaultChecks, the checks the API
// server enables, built on first use.
var defaultRegistry = sync.OnceValues(func() (*registry, error) {
	return newRegistry(policy.DefaultChecks())
})

// policyFor is what a scan's options resolve to: the level and version to
// report and the implementations to run.
type policyFor struct {
	level, version, kubeVersion string // the options as given, for the cache
	lv                          api.LevelVersion
	lvName                      string // lv.String(), which messages quote
	checks                      map[policy.CheckID]policy.CheckPodFn
}

// lastPolicy caches the most recent resolution. A scan uses one set of
// options for every object and rule, so one entry spares each pass parsing
// them again; it is swapped atomically because passes run in parallel.
var lastPolicy atomic.Pointer[policyFor]

// resolve turns the scan's options into the policy to evaluate. The level
// defaults to restricted and the version to latest; anything else must parse
// as a PSA namespace label would ("privileged", "baseline" or "restricted";
// "latest" or "v1.N"). When the options name the cluster's Kubernetes
// version, newer policies are evaluated as that version, as an API server of
// that version would.
func resolve(opts rule.Options) (*policyFor, error) {
	if p := lastPolicy.Load(); p != nil && p.level == opts.PSSLevel && p.version == opts.PSSVersion && p.kubeVersion == opts.KubeVersion {
		return p, nil
	}
	reg, err := defaultRegistry()
	if err != nil {
		return nil, err
	}
	p := &policyFor{level: opts.PSSLevel, version: opts.PSSVersion, kubeVersion: opts.KubeVersion}
	p.lv, err = parseLevelVersion(opts)
	if err != nil {
		return nil, err
	}
	p.lvName = p.lv.String()
	evaluated := p.lv
	if opts.KubeVersion != "" {
		kube, err := api.ParseVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kubernetes version %q: %w", opts.KubeVersion, err)
		}
		if kube.Older(evaluated.Version) {
			evaluated.Version = kube
		}
	}
	p.checks = reg.checks(evaluated)
	lastPolicy.Store(p)
	return p, nil
}

func parseLevelVersion(opts rule.Options) (api.LevelVersion, error) {
	level, version := opts.PSSLevel, opts.PSSVersion
	if level == "" {
		level = string(api.LevelRestricted)
	}
	if version == "" {
		version = "latest"
	}
	l, err := api.ParseLevel(level)
	if err != nil {
		return api.LevelVersion{}, fmt.Errorf("pod security level %q: %w", level, err)
	}
	v, err := api.ParseVersion(version)
	if err != nil {
		return api.LevelVersion{}, fmt.Errorf("pod security version %q: %w", version, err)
	}
	return api.LevelVersion{Level: l, Version: v}, nil
}
