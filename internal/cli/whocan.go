package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rbac"
	"github.com/palisade-dev/palisade/internal/source/manifest"
)

// rbacKinds are the kinds RBAC analysis reads from a cluster.
var rbacKinds = []string{"Namespace", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"}

type accessFlags struct {
	cluster   clusterFlags
	namespace string
	output    string
}

func addAccessFlags(cmd *cobra.Command, f *accessFlags) {
	fl := cmd.Flags()
	addClusterFlags(fl, &f.cluster)
	_ = fl.MarkHidden("all-namespaces") // RBAC is always read for the whole cluster
	_ = fl.MarkHidden("selector")
	fl.StringVarP(&f.output, "output", "o", "text", "output `FORMAT`: text or json")
}

// loadRBAC reads the RBAC objects of a cluster or of manifests.
func loadRBAC(e *env, f accessFlags, paths []string) (*object.Set, []string, error) {
	if err := f.cluster.check(paths); err != nil {
		return nil, nil, err
	}
	if f.output != "text" && f.output != "json" {
		return nil, nil, usageError{fmt.Errorf("-o must be text or json, not %q", f.output)}
	}
	if f.cluster.cluster {
		f.cluster.allNamespaces = true
		res, _, err := readCluster(e, f.cluster, "", rbacKinds)
		if err != nil {
			return nil, nil, err
		}
		return object.NewSet(res.Objects), res.Notes, nil
	}
	if len(paths) == 0 {
		return nil, nil, usageError{fmt.Errorf("give manifests to read (or - for standard input), or --cluster")}
	}
	in, err := loadInputs(paths, sourceFlags{loadRestrictor: "LoadRestrictionsRootOnly"}, "", manifest.Options{Stdin: e.stdin})
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	for _, ie := range in.Errors {
		notes = append(notes, ie.Error())
	}
	return object.NewSet(in.Objects), notes, nil
}

func newWhoCanCommand(e *env) *cobra.Command {
	var f accessFlags
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE] [NAME] [PATH... | --cluster]",
		Short: "List the subjects RBAC allows to perform a request",
		Long: `List every user, group and service account that RBAC allows to perform a request, with the
binding and role that allow it, from manifests or from a live cluster (--cluster).

RESOURCE is written as kubectl writes it: pods, pods/exec, deployments.apps, or a URL path such
as /metrics for non-resource requests. With -n, the request is in that namespace (RoleBindings of
other namespaces do not count); without it, every namespace counts and each answer says where it
holds. Answers follow the API server's RBAC authorizer: aggregated ClusterRoles count with the
rules they aggregate, groups count (system:authenticated, system:serviceaccounts[:NAMESPACE]),
and members of system:masters may do anything. Grants limited by resourceNames are listed with
the names they allow.`,
		Example: `  palisade who-can get secrets -n prod --cluster
  palisade who-can create pods/exec --cluster
  palisade who-can impersonate users deploy/rbac/`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := rbac.ParseResource(strings.ToLower(args[0]), args[1])
			if err != nil {
				return usageError{err}
			}
			rest := args[2:]
			if len(rest) > 0 && !looksLikePath(rest[0]) && q.ResourceRequest() {
				q.Name, rest = rest[0], rest[1:]
			}
			if f.namespace != "" && !rbac.Namespaced(q.Group, q.Resource) {
				return usageError{fmt.Errorf("%s is not namespaced: drop -n", q.Resource)}
			}
			q.Namespace = f.namespace
			set, notes, err := loadRBAC(e, f, rest)
			if err != nil {
				return err
			}
			for _, n := range notes {
				_, _ = fmt.Fprintf(e.stderr, "palisade: %s\n", n)
			}
			anyNS := q.Namespace == "" && rbac.Namespaced(q.Group, q.Resource)
			grants := rbac.For(set).WhoCan(q, anyNS)
			if f.output == "json" {
				return writeGrantsJSON(e.stdout, q, grants)
			}
			return writeGrantsText(e.stdout, q, grants)
		},
	}
	addAccessFlags(cmd, &f)
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "", "the request's `NAMESPACE` (default: any namespace)")
	return cmd
}

// looksLikePath tells a file argument from an object name: standard
// input, or something that exists on disk.
func looksLikePath(s string) bool {
	if s == "-" {
		return true
	}
	_, err := os.Stat(s)
	return err == nil
}

func subjectName(s rbacv1.Subject) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return "ServiceAccount " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

func grantWhere(g rbac.Grant) string {
	if g.Namespace == "" {
		return "cluster-wide"
	}
	return "namespace " + g.Namespace
}

func writeGrantsText(w io.Writer, q rbac.Request, grants []rbac.Grant) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintf(tw, "SUBJECT\tWHERE\tVIA\n")
	for _, g := range grants {
		via := g.Via()
		if g.Names != nil {
			via += " (only " + quoteList(g.Names) + ")"
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", subjectName(g.Subject), grantWhere(g), via)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d %s may %s\n", len(grants), plural(len(grants), "grant", "grants"), q)
	return err
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// grantJSON is one answer of who-can -o json.
type grantJSON struct {
	Subject   subjectJSON `json:"subject"`
	Namespace string      `json:"namespace,omitempty"`
	Binding   *refJSON    `json:"binding,omitempty"`
	Role      *refJSON    `json:"role,omitempty"`
	// RuleFrom names the aggregated ClusterRole a rule comes from when it
	// is not the bound role itself.
	RuleFrom *refJSON `json:"ruleFrom,omitempty"`
	Names    []string `json:"resourceNames,omitempty"`
	Builtin  bool     `json:"builtin,omitempty"`
}

type subjectJSON struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type refJSON struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	File      string `json:"file,omitempty"`
}

func objRef(o *object.Object) *refJSON {
	if o == nil {
		return nil
	}
	return &refJSON{Kind: o.Kind, Name: o.Name, Namespace: o.RawNamespace, File: o.Source.File}
}

func toGrantJSON(g rbac.Grant) grantJSON {
	out := grantJSON{
		Subject:   subjectJSON{Kind: g.Subject.Kind, Name: g.Subject.Name, Namespace: g.Subject.Namespace},
		Namespace: g.Namespace, Names: g.Names, Builtin: g.Masters(),
	}
	if b := g.Binding; b != nil {
		out.Binding = objRef(b.Object)
		if b.Role != nil {
			out.Role = objRef(b.Role.Object)
		} else {
			out.Role = &refJSON{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
		}
		if g.Rule.From != nil && g.Rule.From != b.Role {
			out.RuleFrom = objRef(g.Rule.From.Object)
		}
	}
	return out
}

func writeGrantsJSON(w io.Writer, q rbac.Request, grants []rbac.Grant) error {
	doc := struct {
		Request string      `json:"request"`
		Grants  []grantJSON `json:"grants"`
	}{Request: q.String(), Grants: []grantJSON{}}
	for _, g := range grants {
		doc.Grants = append(doc.Grants, toGrantJSON(g))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
