package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestWhoCan(t *testing.T) {
	r := run(t, "", "who-can", "get", "secrets", "-n", "shop", "testdata/access/rbac.yaml")
	wantCode(t, r, 0)
	for _, want := range []string{
		`ServiceAccount shop/web  namespace shop  RoleBinding "web-secrets" in namespace "shop" -> Role "secrets" in namespace "shop"`,
		`Group ops                cluster-wide    ClusterRoleBinding "ops-tls" -> ClusterRole "one-secret" (only "tls")`,
		`Group system:masters`,
		`3 grants may get secrets in namespace "shop"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("who-can output lacks %q:\n%s", want, r.stdout)
		}
	}
	// A name that is not a file is the object's name.
	r = run(t, "", "who-can", "get", "secrets", "tls", "-n", "other", "-o", "json", "testdata/access/rbac.yaml")
	wantCode(t, r, 0)
	var doc struct {
		Request string
		Grants  []struct {
			Subject struct{ Kind, Name string }
			Names   []string `json:"resourceNames"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Request != `get secrets "tls" in namespace "other"` || len(doc.Grants) != 2 || doc.Grants[0].Subject.Name != "ops" || doc.Grants[0].Names[0] != "tls" {
		t.Errorf("who-can -o json: %+v", doc)
	}
}

func TestWhoCanUsage(t *testing.T) {
	for _, args := range [][]string{
		{"who-can", "get"},
		{"who-can", "get", "secrets"},
		{"who-can", "get", "nodes", "-n", "x", "testdata/access/rbac.yaml"},
		{"who-can", "get", "a/b/c", "testdata/access/rbac.yaml"},
		{"who-can", "get", "secrets", "-A", "testdata/access/rbac.yaml"},
		{"who-can", "get", "secrets", "--cluster", "testdata/access/rbac.yaml"},
		{"scan", "--no-config", "-A", "testdata/access/rbac.yaml"},
		{"scan", "--no-config", "--cluster", "testdata/access/rbac.yaml"},
		{"scan", "--no-config", "--graph-format", "svg", "--graph", "x", "testdata/access/rbac.yaml"},
	} {
		if r := run(t, "", args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, r.code, r.stderr)
		}
	}
}

func TestRBACCommand(t *testing.T) {
	r := run(t, "", "rbac", "testdata/access/rbac.yaml")
	wantCode(t, r, 0)
	for _, want := range []string{
		"ServiceAccount shop/web\n  HIGH     Secret reading in namespace \"shop\"",
		`via RoleBinding "web-secrets" in namespace "shop" -> Role "secrets" in namespace "shop"`,
		"Group ops\n  HIGH     Secret reading named \"tls\" cluster-wide",
		"2 subjects with dangerous permissions",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rbac output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, "", "rbac", "--subject", "ServiceAccount:shop/web", "--all", "-o", "json", "testdata/access/rbac.yaml")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, `"id": "secrets-read"`) || !strings.Contains(r.stdout, `"grants": [`) {
		t.Errorf("rbac -o json:\n%s", r.stdout)
	}
	if r := run(t, "", "rbac", "--subject", "nobody", "testdata/access/rbac.yaml"); r.code != 2 {
		t.Errorf("bad --subject: exit %d", r.code)
	}
}

func TestGraph(t *testing.T) {
	r := run(t, "", "scan", "--no-config", "--graph", "-", "--graph-format", "mermaid", "../rules/attackpath/testdata/attack-path/dashboard.yaml")
	if r.code == 2 {
		t.Fatalf("exit 2: %s", r.stderr)
	}
	if !strings.Contains(r.stdout, "flowchart LR") || !strings.Contains(r.stdout, "Ingress kubernetes-dashboard/dashboard") {
		t.Errorf("graph:\n%.2000s", r.stdout)
	}
	if !strings.Contains(r.stdout, "1. Ingress kubernetes-dashboard/dashboard: an Ingress routes HTTP traffic") {
		t.Errorf("the text report lacks the path's hops:\n%.4000s", r.stdout)
	}
}
