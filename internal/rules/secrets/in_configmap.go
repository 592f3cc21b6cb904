package secrets

import (
	"maps"
	"slices"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/secretscan"
)

// SecretInConfigMap reports credentials stored in ConfigMaps.
var SecretInConfigMap = &rule.Rule{
	Meta: rule.Meta{
		ID:       "secret-in-configmap",
		Title:    "Credential in a ConfigMap",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "ConfigMaps are meant for non-confidential data: the built-in view role and many operators may read " +
			"them but not Secrets, encryption at rest is usually configured for Secrets only, and tools print " +
			"them freely. The rule scans every data and binaryData entry (binary entries " +
			"when they are text) with the same detectors as secret-in-env: the entry's key is the name a value " +
			"is judged by, and embedded configuration files are searched line by line for assignments such as " +
			"password=..., \"token\": \"...\" or URLs with a password. Each entry is reported once, on its key, " +
			"with the line of the value holding the first credential.",
		Remediation: "Move the credential into a Secret, mount it as a file or reference it from the configuration, and rotate it.",
		References: []framework.Ref{
			framework.NSARef("secrets"),
			framework.MITRERef("T1552.001"),
			framework.MITRERef("T1552.007"),
		},
	},
	Run: func(pass *rule.Pass) error {
		cm, ok := pass.Object.Typed.(*corev1.ConfigMap)
		if !ok {
			return nil
		}
		for _, key := range slices.Sorted(maps.Keys(cm.Data)) {
			reportEntry(pass, cm.Name, object.Path("data").Field(key), key, cm.Data[key])
		}
		for _, key := range slices.Sorted(maps.Keys(cm.BinaryData)) {
			if b := cm.BinaryData[key]; utf8.Valid(b) {
				reportEntry(pass, cm.Name, object.Path("binaryData").Field(key), key, string(b))
			}
		}
		return nil
	},
}

// reportEntry reports the credentials in one ConfigMap entry at its key.
func reportEntry(pass *rule.Pass, name string, path object.Path, key, value string) {
	if creds := secretscan.Scan(key, value); len(creds) > 0 {
		pass.Reportf(path, nil, "ConfigMap %q %s holds %s", name, path, summarise(creds, value))
	}
}
