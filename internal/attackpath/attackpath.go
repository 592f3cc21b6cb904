// Package attackpath reasons across the objects of a scan the way an
// attacker does: from something reachable from outside the cluster,
// through the workload behind it and the service account whose token that
// workload mounts, to what those credentials or the workload itself give
// away. It builds a graph of those hops and enumerates every path from an
// entry point to a crown jewel; each path lists every hop and why it
// connects to the one before.
//
// Entry points are LoadBalancer and NodePort Services, Ingresses (through
// the Services they route to), and pods on the host network or with host
// ports. Crown jewels are cluster-admin-equivalent power (wildcards,
// impersonation, escalate and bind, the kubelet API, webhook
// configurations, token minting, certificate approval), secrets, node
// takeover (a privileged or host-namespace pod, a sensitive hostPath or a
// container runtime socket, or the power to create such pods), and the
// cloud metadata service.
//
// The package has no rules of its own and talks to no server: Build takes
// the facts that need rule logic (which workloads a Service selects, which
// workloads can take over their node) as functions, which
// internal/rules/attackpath supplies from the rule catalog, and reads
// permissions through internal/rbac. The same graph comes from manifests
// and from a live cluster. Graphs render as Graphviz DOT and Mermaid.
package attackpath

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rbac"
	"github.com/palisade-dev/palisade/internal/rule"
)

// NodeKind says what a node of the graph stands for.
type NodeKind int

// The kinds of node, in the order paths visit them.
const (
	Entry NodeKind = iota + 1
	Workload
	Identity
	Permission
	Target
)

func (k NodeKind) String() string {
	switch k {
	case Entry:
		return "entry"
	case Workload:
		return "workload"
	case Identity:
		return "identity"
	case Permission:
		return "permission"
	case Target:
		return "target"
	}
	return "unknown"
}

// Node is one vertex of the graph.
type Node struct {
	// ID is unique in the graph and stable across runs.
	ID   string
	Kind NodeKind
	// Label names the node for people: `LoadBalancer Service prod/web`.
	Label string
	// Object is the object the node stands for; nil for permissions and
	// targets.
	Object *object.Object
}

// Edge connects two nodes.
type Edge struct {
	From, To *Node
	// Why says how From leads to To.
	Why string
}

// Step is one hop of a path: a node and why the previous hop leads to it.
type Step struct {
	Node *Node
	Why  string
}

// Path is one way from an entry point to a crown jewel.
type Path struct {
	// Steps start at the entry point and end at the target.
	Steps    []Step
	Severity rule.Severity
}

// Entry returns the path's first node.
func (p *Path) Entry() *Node { return p.Steps[0].Node }

// Target returns the path's last node.
func (p *Path) Target() *Node { return p.Steps[len(p.Steps)-1].Node }

// Summary is a one-line description of the path: `attack path from
// LoadBalancer Service prod/web through Deployment prod/web and
// ServiceAccount prod/web to secrets in namespace "prod"`.
func (p *Path) Summary() string {
	var via []string
	for _, s := range p.Steps[1 : len(p.Steps)-1] {
		if s.Node.Kind == Workload || s.Node.Kind == Identity {
			via = append(via, s.Node.Label)
		}
	}
	msg := "attack path from " + p.Entry().Label
	switch len(via) {
	case 0:
	case 1:
		msg += " through " + via[0]
	default:
		msg += " through " + strings.Join(via[:len(via)-1], ", ") + " and " + via[len(via)-1]
	}
	return msg + " to " + p.Target().Label
}

// Graph is every path of a scan and the nodes and edges on them.
type Graph struct {
	Nodes []*Node
	Edges []*Edge
	// Paths are sorted by severity (most severe first), then entry point
	// and target.
	Paths []*Path

	nodes map[string]*Node
	edges map[[2]string]*Edge
	byObj map[*object.Object][]*Path
}

// PathsFrom returns the paths whose entry point is o.
func (g *Graph) PathsFrom(o *object.Object) []*Path { return g.byObj[o] }

// FactKind says what a workload gives an attacker who runs code in it.
type FactKind int

// The facts Build uses.
const (
	// NodeTakeover: the workload can take over its node (privileged,
	// host namespaces, a sensitive hostPath, a runtime socket).
	NodeTakeover FactKind = iota + 1
	// CloudMetadata: the workload can reach the cloud metadata service.
	CloudMetadata
	// LoginBypass: the workload serves a UI that lets anyone act as its
	// service account without logging in (the Dashboard's
	// --enable-skip-login).
	LoginBypass
)

// Fact is one thing a workload gives away, with the reason.
type Fact struct {
	Kind FactKind
	// Why is lower-case with no trailing period, like a finding message.
	Why string
}

// Inputs supply the facts that need rule logic. Build may call them from
// several goroutines at once.
type Inputs struct {
	// ServiceWorkloads returns the workloads whose pods a Service routes
	// to.
	ServiceWorkloads func(set *object.Set, svc *object.Object) []*object.Object
	// IngressServices returns the Services an Ingress routes to, in its
	// namespace, with a description of the route (`host "a.example.com"
	// path /api`), without duplicates.
	IngressServices func(set *object.Set, ing *object.Object) []Route
	// Facts returns what a workload gives away; nil returns nothing.
	Facts func(set *object.Set, w *object.Object) []Fact
}

// Route is one Service an Ingress sends traffic to.
type Route struct {
	Service *object.Object
	Why     string
}

// Build computes the graph of set.
//
// On large sets Build follows the entry points in runtime.GOMAXPROCS(0)
// goroutines, so the graph, which the first rule to need it builds while
// the scan's other workers wait, uses every core; the Inputs functions
// must be safe for concurrent use. The graph does not depend on how many
// goroutines build it.
func Build(set *object.Set, in Inputs) *Graph {
	return build(set, in, runtime.GOMAXPROCS(0))
}

// minParallel is the number of objects up to which build follows every
// entry point in the calling goroutine (one admission request, a small
// directory): starting goroutines would cost more than it saves.
const minParallel = 256

// build computes the graph of set in up to workers goroutines.
func build(set *object.Set, in Inputs, workers int) *Graph {
	all := set.All()
	if len(all) <= minParallel {
		workers = 1
	}
	ix := rbac.For(set)
	newBuilder := func() *builder {
		return &builder{set: set, in: in, rbac: ix, byAccount: map[[2]string][]rbac.Finding{}, plans: map[*object.Object]*plan{}, done: map[string]struct{}{}}
	}
	var paths []*Path
	if workers <= 1 {
		b := newBuilder()
		b.entries(all)
		paths = b.paths
	} else {
		paths = buildParallel(all, newBuilder, workers)
	}
	g := &Graph{Paths: paths, nodes: map[string]*Node{}, edges: map[[2]string]*Edge{}, byObj: map[*object.Object][]*Path{}}
	slices.SortStableFunc(g.Paths, func(a, c *Path) int {
		return cmp.Or(cmp.Compare(c.Severity, a.Severity), cmp.Compare(a.Entry().ID, c.Entry().ID), cmp.Compare(a.Target().ID, c.Target().ID))
	})
	for _, p := range g.Paths {
		for i, s := range p.Steps {
			g.node(s.Node)
			if i > 0 {
				g.edge(p.Steps[i-1].Node, s.Node, s.Why)
			}
		}
		g.byObj[p.Entry().Object] = append(g.byObj[p.Entry().Object], p)
	}
	return g
}

// buildParallel finds the paths from the entry points among objs, in the
// order one builder following them in order finds them, with workers
// builders, each following a run of consecutive objects:
//
//  1. each builder finds the workloads its entry points lead to (the
//     Inputs calls), in order;
//  2. the builders compute the plans of those workloads, each a share;
//  3. each builder follows its run with the plans, dropping the paths it
//     has found before;
//  4. the runs' paths are concatenated in order, keeping the first of each
//     key: a path a run drops has the key of an earlier path of that run,
//     so this keeps what one builder keeps.
//
// The phases are separate because runs find the same workloads in the same
// order (a directory copied several times): computing plans as they are
// found would have one goroutine wait on the other for each.
func buildParallel(objs []*object.Object, newBuilder func() *builder, workers int) []*Path {
	workers = min(workers, len(objs))
	bs := make([]*builder, workers)
	for i := range bs {
		bs[i] = newBuilder()
		bs[i].visits = []visit{}
	}
	reached := make([][]*object.Object, workers)
	parallel(workers, func(i int) {
		b := bs[i]
		b.entries(objs[i*len(objs)/workers : (i+1)*len(objs)/workers])
		seen := map[*object.Object]bool{}
		for _, v := range b.visits {
			for _, w := range v.ws {
				if !seen[w] {
					seen[w] = true
					reached[i] = append(reached[i], w)
				}
			}
		}
	})

	var ws []*object.Object
	seen := map[*object.Object]bool{}
	for _, r := range reached {
		for _, w := range r {
			if !seen[w] {
				seen[w] = true
				ws = append(ws, w)
			}
		}
	}
	ps := make([]*plan, len(ws))
	parallel(workers, func(i int) {
		for j := i * len(ws) / workers; j < (i+1)*len(ws)/workers; j++ {
			ps[j] = bs[i].newPlan(ws[j])
		}
	})
	plans := make(map[*object.Object]*plan, len(ws))
	for j, w := range ws {
		plans[w] = ps[j]
	}

	parallel(workers, func(i int) {
		b := bs[i]
		b.plans = plans // read-only: it holds every workload visited
		vs := b.visits
		b.visits = nil
		for _, v := range vs {
			b.follow(v.steps, v.ws, v.why)
		}
	})
	var paths []*Path
	done := map[string]struct{}{}
	for _, b := range bs {
		for i, p := range b.paths {
			if _, dup := done[b.keys[i]]; !dup {
				done[b.keys[i]] = struct{}{}
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// parallel runs f(0) to f(n-1) in n goroutines and waits for them. A panic
// of f is raised again in the caller, with the stack where it happened, so
// that it reaches set.Memo and the engine as if f had run there.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panics[i] = fmt.Sprintf("%v\n\n(in a goroutine of attackpath.Build)\n%s", p, debug.Stack())
				}
			}()
			f(i)
		}()
	}
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(p)
		}
	}
}

// builder follows entry points. It is used by one goroutine at a time.
type builder struct {
	set  *object.Set
	in   Inputs
	rbac *rbac.Index
	// byAccount caches the risks of each service account: many workloads
	// share one.
	byAccount map[[2]string][]rbac.Finding
	// plans caches what each workload leads to: a workload behind
	// several Services or Ingress routes is followed from each.
	plans map[*object.Object]*plan
	// visits, when not nil, records the workloads reached instead of
	// following them (see buildParallel).
	visits []visit
	// done holds the keys of the paths found, so that two routes to the
	// same workload (two Ingress rules) make one path.
	done map[string]struct{}
	// paths are the paths found, in the order found, and keys their keys.
	paths []*Path
	keys  []string
	// key is scratch space for building keys.
	key []byte
}

// visit is the workloads reached by steps, why saying how the last leads
// to them.
type visit struct {
	steps []Step
	ws    []*object.Object
	why   string
}

// plan is what following a workload can lead to, whatever led to it: the
// paths from it, in the order they are tried.
type plan struct {
	// node is the workload's node; nil when it has no pod template.
	node  *Node
	tails []tail
}

// tail is one path from a workload: the steps after the workload's own
// one, ending at the target.
type tail struct {
	// key is the path's key without the steps before the workload's:
	// the IDs of the workload, the identity (if any) and the target, each
	// but the last followed by "|".
	key   string
	steps []Step
	sev   rule.Severity
}

func (g *Graph) node(n *Node) {
	if _, ok := g.nodes[n.ID]; !ok {
		g.nodes[n.ID] = n
		g.Nodes = append(g.Nodes, n)
	}
}

func (g *Graph) edge(from, to *Node, why string) {
	k := [2]string{from.ID, to.ID}
	if _, ok := g.edges[k]; !ok {
		e := &Edge{From: g.nodes[from.ID], To: g.nodes[to.ID], Why: why}
		g.edges[k] = e
		g.Edges = append(g.Edges, e)
	}
}

func objectNode(kind NodeKind, o *object.Object, label string) *Node {
	return &Node{ID: o.Kind + "/" + o.Namespace() + "/" + o.Name, Kind: kind, Label: label, Object: o}
}

func ref(o *object.Object) string { return o.Kind + " " + o.Namespace() + "/" + o.Name }

// entries finds the entry points among objs and follows each.
func (b *builder) entries(objs []*object.Object) {
	for _, o := range objs {
		switch t := o.Typed.(type) {
		case *corev1.Service:
			why := serviceExposure(t)
			if why == "" || b.in.ServiceWorkloads == nil {
				continue
			}
			ws := b.in.ServiceWorkloads(b.set, o)
			if len(ws) == 0 {
				continue
			}
			entry := []Step{{Node: objectNode(Entry, o, string(t.Spec.Type)+" Service "+o.Namespace()+"/"+o.Name), Why: why}}
			selects := "the Service selects its pods (" + selectorString(t.Spec.Selector) + ")"
			b.follow(entry, ws, selects)
		default:
			if o.Kind == "Ingress" && b.in.IngressServices != nil && b.in.ServiceWorkloads != nil {
				entry := []Step{{Node: objectNode(Entry, o, "Ingress "+o.Namespace()+"/"+o.Name), Why: "an Ingress routes HTTP traffic from outside the cluster to Services"}}
				for _, r := range b.in.IngressServices(b.set, o) {
					ws := b.in.ServiceWorkloads(b.set, r.Service)
					if len(ws) == 0 {
						continue
					}
					svc := r.Service.Typed.(*corev1.Service)
					routes := "it routes " + r.Why + " to Service " + r.Service.Name + ", which selects its pods (" + selectorString(svc.Spec.Selector) + ")"
					b.follow(entry, ws, routes)
				}
				continue
			}
			if why := hostReachable(o); why != "" {
				b.follow(nil, []*object.Object{o}, why)
			}
		}
	}
}

// serviceExposure says how a Service is reachable from outside the
// cluster, or "" when it is not.
func serviceExposure(s *corev1.Service) string {
	switch s.Spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		if len(s.Spec.LoadBalancerSourceRanges) > 0 {
			return "a load balancer accepts connections from " + strings.Join(s.Spec.LoadBalancerSourceRanges, ", ")
		}
		return "a load balancer accepts connections from anywhere (no loadBalancerSourceRanges)"
	case corev1.ServiceTypeNodePort:
		var ports []string
		for _, p := range s.Spec.Ports {
			if p.NodePort != 0 {
				ports = append(ports, fmt.Sprint(p.NodePort))
			}
		}
		if len(ports) == 0 {
			return "a node port on every node's addresses serves it"
		}
		return "node port " + strings.Join(ports, ", ") + " on every node's addresses serves it"
	}
	return ""
}

// hostReachable says how a workload's pods are reachable on their node's
// addresses, or "".
func hostReachable(o *object.Object) string {
	pod, ok := o.PodTemplate()
	if !ok {
		return ""
	}
	var ports []string
	for _, c := range pod.Containers() {
		for _, p := range c.Ports {
			switch {
			case pod.Spec.HostNetwork && p.ContainerPort != 0:
				ports = append(ports, fmt.Sprintf("%d (container %q)", p.ContainerPort, c.Name))
			case p.HostPort != 0:
				ports = append(ports, fmt.Sprintf("%d (host port of container %q)", p.HostPort, c.Name))
			}
		}
	}
	if len(ports) == 0 {
		return ""
	}
	if pod.Spec.HostNetwork {
		return "its pods use the host network, so port " + strings.Join(ports, ", ") + " listens on the node's addresses"
	}
	return "port " + strings.Join(ports, ", ") + " is published on the node's addresses"
}

func selectorString(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + sel[k]
	}
	return strings.Join(keys, ",")
}

// follow follows the workloads ws reached by the steps so far (none or an
// entry point), why saying how the last of them leads to them, or, while
// visits are recorded, records them.
func (b *builder) follow(steps []Step, ws []*object.Object, why string) {
	if b.visits != nil {
		b.visits = append(b.visits, visit{steps, ws, why})
		return
	}
	for _, w := range ws {
		b.workload(steps, w, why)
	}
}

// workload follows one workload and records each path not found before.
func (b *builder) workload(steps []Step, w *object.Object, why string) {
	p := b.plan(w)
	if p.node == nil {
		return
	}
	// One path per entry point, workload, identity and target: the
	// first permission found (the most severe) stands for the others.
	b.key = b.key[:0]
	for _, s := range steps {
		if s.Node.Kind != Permission {
			b.key = append(append(b.key, s.Node.ID...), '|')
		}
	}
	n := len(b.key)
	for _, t := range p.tails {
		b.key = append(b.key[:n], t.key...)
		if _, ok := b.done[string(b.key)]; ok {
			continue
		}
		key := string(b.key)
		b.done[key] = struct{}{}
		path := make([]Step, 0, len(steps)+1+len(t.steps))
		path = append(append(append(path, steps...), Step{Node: p.node, Why: why}), t.steps...)
		b.paths = append(b.paths, &Path{Steps: path, Severity: t.sev})
		b.keys = append(b.keys, key)
	}
}

// plan returns what following w leads to.
func (b *builder) plan(w *object.Object) *plan {
	p, ok := b.plans[w]
	if !ok {
		p = b.newPlan(w)
		b.plans[w] = p
	}
	return p
}

// newPlan computes what following w leads to.
func (b *builder) newPlan(w *object.Object) *plan {
	p := &plan{}
	pod, ok := w.PodTemplate()
	if !ok {
		return p
	}
	p.node = objectNode(Workload, w, ref(w))
	var facts []Fact
	if b.in.Facts != nil {
		facts = b.in.Facts(b.set, w)
	}
	add := func(steps []Step, target *Node, why string, sev rule.Severity) {
		key := p.node.ID + "|"
		for _, s := range steps {
			if s.Node.Kind != Permission {
				key += s.Node.ID + "|"
			}
		}
		key += target.ID
		if slices.ContainsFunc(p.tails, func(t tail) bool { return t.key == key }) {
			return // a later tail with the key of an earlier one is never kept
		}
		p.tails = append(p.tails, tail{key: key, steps: append(slices.Clone(steps), Step{Node: target, Why: why}), sev: sev})
	}
	bypass := ""
	for _, f := range facts {
		switch f.Kind {
		case NodeTakeover:
			add(nil, nodeTarget(w), f.Why, rule.Critical)
		case CloudMetadata:
			add(nil, &Node{ID: "target/cloud-metadata", Kind: Target, Label: "the cloud metadata service (the node's cloud credentials)"}, f.Why, rule.Medium)
		case LoginBypass:
			bypass = f.Why
		}
	}
	sa, mounted, whyToken := serviceAccount(b.set, w, pod)
	if !mounted {
		return p
	}
	if bypass != "" {
		whyToken = bypass + ", and " + whyToken
	}
	id := Step{
		Node: &Node{ID: "ServiceAccount/" + w.Namespace() + "/" + sa, Kind: Identity, Label: "ServiceAccount " + w.Namespace() + "/" + sa, Object: b.set.Lookup("ServiceAccount", w.Namespace(), sa)},
		Why:  whyToken,
	}
	risks := b.risks(w.Namespace(), sa)
	targets := make([]*Node, len(risks))
	sevs := make([]rule.Severity, len(risks))
	admin := false
	for i, f := range risks {
		targets[i], sevs[i] = b.permissionTarget(f)
		if targets[i] != nil && targets[i].ID == clusterAdminID {
			admin = true
		}
	}
	for i, f := range risks {
		target, sev := targets[i], sevs[i]
		if target == nil || (admin && target.ID != clusterAdminID) {
			continue // cluster-admin power includes every other target
		}
		if bypass != "" {
			sev = rule.Critical
		}
		g := f.Grants[0]
		perm := Step{
			Node: &Node{ID: "permission/" + id.Node.ID + "/" + f.Risk.ID, Kind: Permission, Label: strings.ToLower(f.Risk.Title[:1]) + f.Risk.Title[1:] + " " + f.Scope()},
			Why:  "it is bound through " + g.Via(),
		}
		add([]Step{id, perm}, target, f.Risk.Why, sev)
	}
	return p
}

// risks returns the dangerous permissions of a service account.
func (b *builder) risks(ns, name string) []rbac.Finding {
	k := [2]string{ns, name}
	r, ok := b.byAccount[k]
	if !ok {
		r = rbac.Assess(b.rbac.Grants(rbac.ServiceAccountUser(ns, name)))
		b.byAccount[k] = r
	}
	return r
}

func nodeTarget(w *object.Object) *Node {
	return &Node{ID: "target/node/" + w.Namespace() + "/" + w.Name, Kind: Target, Label: "the node that runs " + ref(w) + " (and every pod and secret on it)"}
}

// serviceAccount returns the service account a workload's pods run as,
// whether its token is mounted into them, and why.
func serviceAccount(set *object.Set, w *object.Object, pod object.PodTemplate) (name string, mounted bool, why string) {
	name = pod.Spec.ServiceAccountName
	if name == "" {
		name = pod.Spec.DeprecatedServiceAccount
	}
	if name == "" {
		name = "default"
	}
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ServiceAccountToken != nil && !strings.HasPrefix(v.Name, "kube-api-access-") {
				return name, true, fmt.Sprintf("its pods run as ServiceAccount %q and mount a token of it (volume %q)", name, v.Name)
			}
		}
	}
	if a := pod.Spec.AutomountServiceAccountToken; a != nil {
		if !*a {
			return name, false, ""
		}
		return name, true, fmt.Sprintf("its pods run as ServiceAccount %q and mount its token (automountServiceAccountToken: true)", name)
	}
	if o := set.Lookup("ServiceAccount", w.Namespace(), name); o != nil {
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok && sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken {
			return name, false, ""
		}
	}
	return name, true, fmt.Sprintf("its pods run as ServiceAccount %q and mount its token (automountServiceAccountToken is not false)", name)
}

const clusterAdminID = "target/cluster-admin"

// permissionTarget maps a risky permission to the crown jewel it reaches.
func (b *builder) permissionTarget(f rbac.Finding) (*Node, rule.Severity) {
	scope := f.Scope()
	switch f.Risk.ID {
	case "cluster-admin", "impersonate", "escalate-bind", "nodes-proxy", "webhook-write", "token-create", "csr-approve":
		if f.Namespaces == nil {
			return &Node{ID: clusterAdminID, Kind: Target, Label: "cluster-admin-equivalent power"}, rule.Critical
		}
		return &Node{ID: "target/namespace-admin/" + strings.Join(f.Namespaces, ","), Kind: Target, Label: "full control " + scope}, f.Severity
	case "secrets-read":
		return &Node{ID: "target/secrets/" + strings.Join(f.Namespaces, ","), Kind: Target, Label: "secrets " + scope}, f.Severity
	case "workload-create", "persistentvolume-create":
		open := b.privilegedNamespaces(f.Namespaces)
		if len(open) == 0 && f.Risk.ID == "workload-create" {
			return nil, 0
		}
		return &Node{ID: "target/nodes", Kind: Target, Label: "any node (by running a privileged pod)"}, rule.Critical
	}
	return nil, 0
}

// privilegedNamespaces returns the namespaces among nss where Pod Security
// Admission does not enforce baseline or restricted, so a privileged pod
// is admitted. A namespace the scan holds no Namespace object for counts
// as open (the admission default is privileged), and so does nil, which
// stands for every namespace.
func (b *builder) privilegedNamespaces(nss []string) []string {
	if nss == nil {
		return []string{"(every namespace)"}
	}
	var out []string
	for _, ns := range nss {
		o := b.set.Lookup("Namespace", object.DefaultNamespace, ns)
		if o == nil {
			out = append(out, ns)
			continue
		}
		level := o.Labels()[psaapi.EnforceLevelLabel]
		if level == "" || level == string(psaapi.LevelPrivileged) {
			out = append(out, ns)
		}
	}
	return out
}
