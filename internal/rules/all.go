// Package rules lists Palisade's rule catalog. The list is explicit and
// sorted by ID: adding a rule means adding one line here, and the catalog
// test checks order, uniqueness, metadata and fixtures for every entry.
package rules

import (
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/attackpath"
	"github.com/palisade-dev/palisade/internal/rules/controlplane"
	"github.com/palisade-dev/palisade/internal/rules/exposure"
	"github.com/palisade-dev/palisade/internal/rules/hygiene"
	"github.com/palisade-dev/palisade/internal/rules/lifecycle"
	"github.com/palisade-dev/palisade/internal/rules/network"
	"github.com/palisade-dev/palisade/internal/rules/podsecurity"
	"github.com/palisade-dev/palisade/internal/rules/rbac"
	"github.com/palisade-dev/palisade/internal/rules/runtime"
	"github.com/palisade-dev/palisade/internal/rules/secrets"
	"github.com/palisade-dev/palisade/internal/rules/servicemesh"
	"github.com/palisade-dev/palisade/internal/rules/supplychain"
	"github.com/palisade-dev/palisade/internal/rules/workload"
)

// All returns every rule in the catalog, sorted by ID. The slice is new on
// each call; the rules it points to are shared and must not be modified.
func All() []*rule.Rule {
	return []*rule.Rule{
		workload.AllowPrivilegeEscalation,
		controlplane.APIServerAlwaysAllow,
		controlplane.APIServerAnonymousAuth,
		controlplane.APIServerAuditLog,
		controlplane.APIServerInsecurePort,
		controlplane.APIServerNodeRestriction,
		workload.AppArmorUnconfined,
		attackpath.AttackPath,
		runtime.ContainerRuntimeSocket,
		controlplane.Profiling,
		workload.DangerousCapabilities,
		exposure.DashboardInsecureFlags,
		network.DefaultDenyEgressMissing,
		network.DefaultDenyIngressMissing,
		hygiene.DefaultNamespace,
		secrets.DefaultServiceAccount,
		lifecycle.DeprecatedAPIVersion,
		runtime.DockerAPIPort,
		runtime.DockerInDocker,
		controlplane.EtcdClientCertAuth,
		exposure.ExposedAdminUI,
		workload.HostIPC,
		workload.HostNetwork,
		workload.HostPathSensitive,
		workload.HostPathVolume,
		workload.HostPathWritable,
		workload.HostPID,
		workload.HostPort,
		supplychain.ImageNotPinned,
		supplychain.ImagePullPolicy,
		supplychain.ImageRegistryNotAllowed,
		supplychain.ImageTagLatest,
		exposure.IngressWithoutTLS,
		servicemesh.AuthorizationPolicyAllowAll,
		servicemesh.PeerAuthenticationPermissive,
		controlplane.KubeletAnonymousAuth,
		controlplane.KubeletAlwaysAllow,
		controlplane.KubeletReadOnlyPort,
		exposure.LoadBalancerSourceRanges,
		network.MetadataEgressNotBlocked,
		lifecycle.NamespacePSSLabel,
		workload.NetRawNotDropped,
		lifecycle.NodeDockerRuntime,
		lifecycle.NodeKubeletEOL,
		lifecycle.PodSecurityPolicy,
		workload.Privileged,
		hygiene.ProbesMissing,
		podsecurity.AllowPrivilegeEscalation,
		podsecurity.AppArmorProfile,
		podsecurity.CapabilitiesBaseline,
		podsecurity.CapabilitiesRestricted,
		podsecurity.HostNamespaces,
		podsecurity.HostPathVolumes,
		podsecurity.HostPorts,
		podsecurity.HostProbesAndLifecycle,
		podsecurity.Privileged,
		podsecurity.ProcMount,
		podsecurity.ProcMountRestricted,
		podsecurity.RestrictedVolumes,
		podsecurity.RunAsNonRoot,
		podsecurity.RunAsUser,
		podsecurity.SeccompProfileBaseline,
		podsecurity.SeccompProfileRestricted,
		podsecurity.SELinuxOptions,
		podsecurity.Sysctls,
		podsecurity.WindowsHostProcess,
		rbac.AggregationClusterAdmin,
		rbac.AnonymousBinding,
		rbac.ClusterAdminBinding,
		rbac.CSRApproval,
		rbac.EscalateBindImpersonate,
		rbac.NodesProxy,
		rbac.PersistentVolumeCreate,
		rbac.PodExec,
		rbac.SecretsRead,
		rbac.ServiceAccountToken,
		rbac.SystemMasters,
		rbac.WebhookConfigWrite,
		rbac.Wildcard,
		rbac.WorkloadCreate,
		workload.ReadOnlyRootFilesystem,
		hygiene.ResourcesMissing,
		workload.RunAsNonRootMissing,
		workload.RunAsRoot,
		workload.SeccompProfileMissing,
		workload.SeccompUnconfined,
		secrets.SecretEnvVar,
		secrets.SecretInConfigMap,
		secrets.SecretInEnv,
		secrets.UnusedSecret,
		secrets.ServiceAccountTokenAutomount,
		secrets.ServiceAccountTokenSecret,
		workload.UnmaskedProcMount,
		workload.UnsafeSysctls,
		controlplane.WebhookFailOpen,
		network.WorkloadWithoutNetworkPolicy,
	}
}

// ByID returns the rule with the given ID or alias, or nil.
func ByID(id string) *rule.Rule {
	for _, r := range All() {
		if r.ID == id {
			return r
		}
		for _, a := range r.Aliases {
			if a == id {
				return r
			}
		}
	}
	return nil
}
