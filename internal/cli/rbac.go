package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/palisade-dev/palisade/internal/rbac"
)

type rbacFlags struct {
	access  accessFlags
	all     bool
	builtin bool
	subject string
}

func newRBACCommand(e *env) *cobra.Command {
	var f rbacFlags
	cmd := &cobra.Command{
		Use:   "rbac [PATH... | --cluster]",
		Short: "Show who holds dangerous permissions, and through which bindings",
		Long: `Work out the effective permissions of every subject (user, group and service account) from the
RBAC objects of manifests or a live cluster (--cluster), and list the dangerous ones: full control,
impersonation, escalate and bind, the kubelet API through nodes/proxy, webhook configuration,
secret reading, token creation, certificate approval, exec into pods, workload creation and
PersistentVolume creation. Each is listed with where it holds and the binding and role that grant
it. Aggregated ClusterRoles and group bindings are resolved as the API server does.

Subjects Kubernetes itself binds (system:* users and groups, the service accounts of kube-system)
are left out unless --include-builtin is given; the groups that stand for every user or every
service account are always shown.`,
		Example: `  palisade rbac --cluster
  palisade rbac --cluster --subject ServiceAccount:prod/web --all
  palisade rbac deploy/ -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, notes, err := loadRBAC(e, f.access, args)
			if err != nil {
				return err
			}
			for _, n := range notes {
				_, _ = fmt.Fprintf(e.stderr, "palisade: %s\n", n)
			}
			var filter *rbacv1.Subject
			if f.subject != "" {
				s, err := parseSubject(f.subject)
				if err != nil {
					return usageError{err}
				}
				filter = &s
			}
			var reports []rbac.SubjectReport
			for _, r := range rbac.For(set).Subjects(f.builtin || filter != nil) {
				if filter != nil && (r.Subject.Kind != filter.Kind || r.Subject.Name != filter.Name || r.Subject.Namespace != filter.Namespace) {
					continue
				}
				if len(r.Risks) == 0 && !f.all {
					continue
				}
				reports = append(reports, r)
			}
			if f.access.output == "json" {
				return writeRBACJSON(e.stdout, reports, f.all)
			}
			return writeRBACText(e.stdout, reports, f.all)
		},
	}
	addAccessFlags(cmd, &f.access)
	fl := cmd.Flags()
	fl.BoolVar(&f.all, "all", false, "list every subject with all its grants, not only dangerous permissions")
	fl.BoolVar(&f.builtin, "include-builtin", false, "include the subjects Kubernetes binds itself")
	fl.StringVar(&f.subject, "subject", "", "show one subject: `KIND:NAME`, such as User:alice, Group:dev or ServiceAccount:prod/web")
	return cmd
}

// parseSubject reads KIND:NAME, with NAMESPACE/NAME for service accounts.
func parseSubject(s string) (rbacv1.Subject, error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return rbacv1.Subject{}, fmt.Errorf("--subject must be KIND:NAME, not %q", s)
	}
	switch strings.ToLower(kind) {
	case "user":
		return rbacv1.Subject{Kind: rbacv1.UserKind, Name: name}, nil
	case "group":
		return rbacv1.Subject{Kind: rbacv1.GroupKind, Name: name}, nil
	case "serviceaccount", "sa":
		ns, n, ok := strings.Cut(name, "/")
		if !ok || ns == "" || n == "" {
			return rbacv1.Subject{}, fmt.Errorf("a service account is ServiceAccount:NAMESPACE/NAME, not %q", s)
		}
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: n}, nil
	}
	return rbacv1.Subject{}, fmt.Errorf("--subject kind must be User, Group or ServiceAccount, not %q", kind)
}

func writeRBACText(w io.Writer, reports []rbac.SubjectReport, all bool) error {
	ew := &errWriter{w: w}
	risky := 0
	for i, r := range reports {
		if i > 0 {
			ew.printf("\n")
		}
		ew.printf("%s\n", subjectName(r.Subject))
		if len(r.Risks) > 0 {
			risky++
		}
		for _, f := range r.Risks {
			ew.printf("  %-8s %s %s: %s\n", strings.ToUpper(f.Severity.String()), f.Risk.Title, f.Scope(), f.Risk.Why)
			for _, g := range f.Grants {
				ew.printf("           via %s%s\n", g.Via(), namesNote(g))
			}
		}
		if all {
			for _, g := range r.Grants {
				ew.printf("  grant    %s %s via %s%s\n", ruleString(g.Rule.PolicyRule), grantWhere(g), g.Via(), namesNote(g))
			}
		}
	}
	if len(reports) > 0 {
		ew.printf("\n")
	}
	ew.printf("%d %s with dangerous permissions\n", risky, plural(risky, "subject", "subjects"))
	return ew.err
}

func namesNote(g rbac.Grant) string {
	if g.Names == nil {
		return ""
	}
	return " (only " + quoteList(g.Names) + ")"
}

// ruleString renders a policy rule compactly: `get,list secrets` or `* /metrics`.
func ruleString(r rbacv1.PolicyRule) string {
	if len(r.NonResourceURLs) > 0 {
		return strings.Join(r.Verbs, ",") + " " + strings.Join(r.NonResourceURLs, ",")
	}
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			if g == "" {
				res = append(res, x)
			} else {
				res = append(res, x+"."+g)
			}
		}
	}
	if len(res) == 0 {
		return strings.Join(r.Verbs, ",") + " (nothing)"
	}
	return strings.Join(r.Verbs, ",") + " " + strings.Join(res, ",")
}

type riskJSON struct {
	ID         string      `json:"id"`
	Title      string      `json:"title"`
	Severity   string      `json:"severity"`
	Namespaces []string    `json:"namespaces,omitempty"`
	Why        string      `json:"why"`
	Grants     []grantJSON `json:"grants"`
}

type subjectReportJSON struct {
	Subject subjectJSON `json:"subject"`
	Risks   []riskJSON  `json:"risks"`
	Grants  []grantJSON `json:"grants,omitempty"`
}

func writeRBACJSON(w io.Writer, reports []rbac.SubjectReport, all bool) error {
	doc := struct {
		Subjects []subjectReportJSON `json:"subjects"`
	}{Subjects: []subjectReportJSON{}}
	for _, r := range reports {
		sr := subjectReportJSON{Subject: subjectJSON{Kind: r.Subject.Kind, Name: r.Subject.Name, Namespace: r.Subject.Namespace}, Risks: []riskJSON{}}
		for _, f := range r.Risks {
			rj := riskJSON{ID: f.Risk.ID, Title: f.Risk.Title, Severity: f.Severity.String(), Namespaces: f.Namespaces, Why: f.Risk.Why}
			for _, g := range f.Grants {
				rj.Grants = append(rj.Grants, toGrantJSON(g))
			}
			sr.Risks = append(sr.Risks, rj)
		}
		if all {
			for _, g := range r.Grants {
				sr.Grants = append(sr.Grants, toGrantJSON(g))
			}
		}
		doc.Subjects = append(doc.Subjects, sr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
