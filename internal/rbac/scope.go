package rbac

// clusterScoped lists the built-in resources that live outside
// namespaces, by API group. A RoleBinding cannot grant access to them.
// Resources not listed are taken to be namespaced, which is true of most
// custom resources; a Role that names a cluster-scoped custom resource
// grants nothing, so the only error possible is to report a namespaced
// grant that does not work.
var clusterScoped = map[string][]string{
	"":                             {"namespaces", "nodes", "persistentvolumes", "componentstatuses"},
	"rbac.authorization.k8s.io":    {"clusterroles", "clusterrolebindings"},
	"admissionregistration.k8s.io": {"mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"},
	"apiextensions.k8s.io":         {"customresourcedefinitions"},
	"apiregistration.k8s.io":       {"apiservices"},
	"certificates.k8s.io":          {"certificatesigningrequests", "clustertrustbundles"},
	"storage.k8s.io":               {"storageclasses", "volumeattachments", "csidrivers", "csinodes", "volumeattributesclasses"},
	"scheduling.k8s.io":            {"priorityclasses"},
	"node.k8s.io":                  {"runtimeclasses"},
	"flowcontrol.apiserver.k8s.io": {"flowschemas", "prioritylevelconfigurations"},
	"networking.k8s.io":            {"ingressclasses", "ipaddresses", "servicecidrs"},
	"authentication.k8s.io":        {"tokenreviews", "selfsubjectreviews"},
	"authorization.k8s.io":         {"subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews"},
	"resource.k8s.io":              {"deviceclasses", "resourceslices"},
	"policy":                       {"podsecuritypolicies"},
}

// Namespaced reports whether a resource of an API group lives in
// namespaces, for the built-in resources; anything else counts as
// namespaced. The users, groups and uids that impersonation names are
// cluster-scoped; serviceaccounts are not.
func Namespaced(group, resource string) bool {
	if group == "" && (resource == "users" || resource == "groups" || resource == "userextras" || resource == "uids") {
		return false
	}
	if group == "authentication.k8s.io" && (resource == "userextras" || resource == "uids") {
		return false
	}
	for _, r := range clusterScoped[group] {
		if r == resource {
			return false
		}
	}
	return true
}
