package secrets

import (
	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/secretscan"
)

// SecretInEnv reports credentials written as literal environment variable
// values.
var SecretInEnv = &rule.Rule{
	Meta: rule.Meta{
		ID:       "secret-in-env",
		Title:    "Credential in an environment variable literal",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "A credential written into env[].value sits in plain text in the manifest and its Git history, in " +
			"the workload object that everyone allowed to read Deployments or Pods can see, and in every old " +
			"ReplicaSet; it cannot be rotated without a redeploy. The rule scans the literal env values of init, " +
			"regular and ephemeral containers for well-known formats (AWS, GCP and Azure keys, GitHub, GitLab, " +
			"Slack, Stripe and npm tokens, JWTs, PEM private keys, URLs with a password) and for literals under " +
			"names such as *_PASSWORD, *_TOKEN, *_SECRET or API_KEY that are well-known weak passwords or random " +
			"enough to be real; $(VAR) references, paths, numbers, booleans and placeholders are not reported.",
		Remediation: "Move the credential into a Secret, mount it as a file or reference it with valueFrom.secretKeyRef, and rotate it.",
		References: []framework.Ref{
			framework.NSARef("secrets"),
			framework.MITRERef("T1552.001"),
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
				if env.ValueFrom != nil || env.Value == "" {
					continue
				}
				if creds := secretscan.Scan(env.Name, env.Value); len(creds) > 0 {
					pass.ReportContainer(c, c.Path.Field("env").Index(i).Field("value"), nil,
						"%s env %s holds %s", rule.ContainerMessage(c), env.Name, summarise(creds, env.Value))
				}
			}
		}
		return nil
	},
}
