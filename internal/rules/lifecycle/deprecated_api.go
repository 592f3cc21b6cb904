package lifecycle

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// DeprecatedAPIVersion reports objects written in API versions that the
// target Kubernetes release no longer serves, or will stop serving.
var DeprecatedAPIVersion = &rule.Rule{
	Meta: rule.Meta{
		ID:       "deprecated-api-version",
		Title:    "Removed or soon removed API version",
		Severity: rule.Medium,
		Category: rule.CategoryLifecycle,
		Doc: "An object in an API version that the cluster no longer serves cannot be applied, so the manifest " +
			"fails at the upgrade or the next deployment, often together with the security settings it carries. " +
			"The rule compares each object's apiVersion and kind with the removals of the Kubernetes Deprecated API " +
			"Migration Guide up to the target release (--kube-version, default the newest Palisade knows) and names " +
			"the replacement; versions removed in a later release are reported at low severity once their " +
			"replacement is served.",
		Remediation: "Migrate the object to the replacement API version, adapting the fields whose schema changed.",
		References: []framework.Ref{
			framework.NSARef("upgrading"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		o := pass.Object
		r := findRemoval(o.APIVersion, o.Kind)
		if r == nil {
			return nil
		}
		target, err := targetMinor(pass.Options)
		if err != nil {
			return err
		}
		m := r.migrationFor(o.Kind, target)
		what := fmt.Sprintf("apiVersion %s of %s %q", o.APIVersion, o.Kind, o.Name)
		switch {
		case target >= r.removedIn && m.apiVersion != "":
			pass.Reportf("apiVersion", migrationFix(m),
				"%s has not been served since Kubernetes v1.%d; %s", what, r.removedIn, m.advice())
		case target >= r.removedIn:
			pass.Reportf("apiVersion", nil,
				"%s has not been served since Kubernetes v1.%d and has no replacement in v1.%d; %s", what, r.removedIn, target, m.instead)
		case m.apiVersion != "":
			pass.Report(rule.Finding{
				Path: "apiVersion", Severity: rule.Low, Fix: migrationFix(m),
				Message: fmt.Sprintf("%s is removed in Kubernetes v1.%d; %s, served since v1.%d",
					what, r.removedIn, m.advice(), m.since),
			})
		}
		return nil
	},
}

// migrationFix returns the builder of the fix that changes the apiVersion
// where that is the whole migration, and nil otherwise.
func migrationFix(m migration) func() *rule.Fix {
	if !m.sameSchema {
		return nil
	}
	apiVersion := m.apiVersion
	return func() *rule.Fix {
		return &rule.Fix{Patch: []rule.PatchOp{rule.Set(object.Path("apiVersion"), apiVersion)}}
	}
}

// advice says how to migrate: a change of apiVersion alone where the
// schema is the same, otherwise a migration whose changes the user checks.
func (m migration) advice() string {
	if m.sameSchema {
		return "change apiVersion to " + m.apiVersion
	}
	return "migrate it to " + m.apiVersion
}
