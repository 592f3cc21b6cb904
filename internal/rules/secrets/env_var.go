package secrets

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
)

// SecretEnvVar reports Secrets handed to containers as environment
// variables.
var SecretEnvVar = &rule.Rule{
	Meta: rule.Meta{
		ID:       "secret-env-var",
		Title:    "Secret exposed as an environment variable",
		Severity: rule.Low,
		Category: rule.CategorySecrets,
		Doc: "A Secret in an environment variable is inherited by every child process, ends up in crash reports, " +
			"debug endpoints and logs that dump the environment, is readable by anyone who can read " +
			"/proc/<pid>/environ in the container, and is not updated when the Secret is rotated. A Secret " +
			"mounted as a file has none of these problems. The rule flags env[].valueFrom.secretKeyRef and " +
			"envFrom[].secretRef on init, regular and ephemeral containers.",
		Remediation: "Mount the Secret as a volume and have the application read the credential from the file.",
		References: []framework.Ref{
			framework.CISRef("5.4.1"),
			framework.NSARef("secrets"),
			framework.MITRERef("T1552.007"),
		},
	},
	Run: func(pass *rule.Pass) error {
		pod, ok := pass.Object.PodTemplate()
		if !ok {
			return nil
		}
		for _, c := range pod.Containers() {
			for i, env := range c.Env {
				if env.ValueFrom == nil || env.ValueFrom.SecretKeyRef == nil {
					continue
				}
				ref := env.ValueFrom.SecretKeyRef
				pass.ReportContainer(c, c.Path.Field("env").Index(i).Field("valueFrom").Field("secretKeyRef"), nil,
					"%s env %s reads key %q of Secret %q (valueFrom.secretKeyRef)", rule.ContainerMessage(c), env.Name, ref.Key, ref.Name)
			}
			for i, src := range c.EnvFrom {
				if src.SecretRef == nil {
					continue
				}
				pass.ReportContainer(c, c.Path.Field("envFrom").Index(i).Field("secretRef"), nil,
					"%s loads every key of Secret %q into its environment (envFrom.secretRef)", rule.ContainerMessage(c), src.SecretRef.Name)
			}
		}
		return nil
	},
}
