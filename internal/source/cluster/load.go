package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/palisade-dev/palisade/internal/object"
)

// Options say what to read.
type Options struct {
	// Name names the cluster in object sources: cluster://NAME/NS/KIND/NAME.
	Name string
	// Namespaces limits the scan to these namespaces; empty means every
	// namespace and the cluster-scoped objects.
	Namespaces []string
	// Selector limits the findings to objects whose labels it matches. The
	// server applies it to workloads and pods; other kinds are read in
	// full, since checks of the selected objects need them.
	Selector labels.Selector
	// PageSize is the number of items per request; 0 means 500.
	PageSize int64
	// Progress, when set, receives a one-line progress display (for a
	// terminal: it rewrites the line with carriage returns).
	Progress io.Writer
	// Parallel is the number of lists run at once; 0 means 4.
	Parallel int
	// Kinds limits the read to these kinds (see Resources); empty means
	// every kind. who-can reads only RBAC objects this way.
	Kinds []string
}

// Result is what was read.
type Result struct {
	// Objects are sorted by namespace, kind (in Resources order) and
	// name. Pods and ReplicaSets and Jobs that a listed controller owns
	// are left out: their controller is reported instead.
	Objects []*object.Object
	// Notes say what could not be read and why: resources RBAC forbids
	// or the server does not serve.
	Notes []string
	// Counts is the number of items listed per resource, owned ones
	// included.
	Counts map[string]int
	// ServerVersion is the API server's version, such as v1.33.2.
	ServerVersion string

	namespaces map[string]bool
	selector   labels.Selector
}

// InScope reports whether findings on o should be reported: o is in one of
// the requested namespaces (or is one of their Namespace objects), or no
// namespace was requested; and its labels match the selector, if any.
// Objects outside the scope are read only as context for checks.
func (r *Result) InScope(o *object.Object) bool {
	if r.namespaces != nil {
		ns := o.RawNamespace
		if o.Kind == "Namespace" && o.APIVersion == "v1" {
			ns = o.Name
		}
		if !r.namespaces[ns] {
			return false
		}
	}
	return r.selector == nil || r.selector.Empty() || r.selector.Matches(labels.Set(o.Labels()))
}

// ProtobufConfig returns a copy of cfg that asks for protobuf, which the
// API server encodes and Palisade decodes several times faster than JSON,
// and that does not throttle on the client side (the server's priority
// and fairness does that).
func ProtobufConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.ContentType = runtime.ContentTypeProtobuf
	c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	if c.QPS == 0 {
		c.QPS = -1
	}
	if c.UserAgent == "" {
		c.UserAgent = "palisade"
	}
	return c
}

// Load lists the cluster's objects. It returns an error when the cluster
// cannot be read at all or a list fails for a reason other than RBAC or an
// unserved kind; those two are recorded in Notes and the scan goes on.
func Load(ctx context.Context, cfg *rest.Config, opts Options) (*Result, error) {
	cs, err := kubernetes.NewForConfig(ProtobufConfig(cfg))
	if err != nil {
		return nil, err
	}
	l := &loader{cs: cs, opts: opts, res: &Result{Counts: map[string]int{}, selector: opts.Selector}, progress: newProgress(opts.Progress)}
	if opts.PageSize <= 0 {
		l.opts.PageSize = 500
	}
	if opts.Parallel <= 0 {
		l.opts.Parallel = 4
	}
	if len(opts.Namespaces) > 0 {
		l.res.namespaces = map[string]bool{}
		for _, ns := range opts.Namespaces {
			l.res.namespaces[ns] = true
		}
	}
	if v, err := cs.Discovery().ServerVersion(); err == nil {
		l.res.ServerVersion = v.GitVersion
	} else if !apierrors.IsForbidden(err) {
		return nil, fmt.Errorf("cannot reach the cluster: %w", err)
	}
	defer l.progress.done()

	if err := l.discoverCustom(cfg); err != nil {
		return nil, err
	}
	// Everything but the owned kinds at once, then the owned kinds once
	// their owners are known.
	var first, owned []Resource
	for _, r := range Resources {
		if len(opts.Kinds) > 0 && !slices.Contains(opts.Kinds, r.Kind) {
			continue
		}
		if r.Custom && l.customVersion[r.Group] == "" {
			continue // the cluster does not serve the group
		}
		switch r.Resource {
		case "replicasets", "jobs", "pods":
			owned = append(owned, r)
		default:
			first = append(first, r)
		}
	}
	if err := l.listAll(ctx, first); err != nil {
		return nil, err
	}
	// ReplicaSets and Jobs before Pods: a Deployment's pods are owned by
	// its ReplicaSets.
	var pods []Resource
	if n := len(owned); n > 0 && owned[n-1].Resource == "pods" {
		owned, pods = owned[:n-1], owned[n-1:]
	}
	if err := l.listAll(ctx, owned); err != nil {
		return nil, err
	}
	if err := l.listAll(ctx, pods); err != nil {
		return nil, err
	}
	l.finish()
	return l.res, nil
}

type loader struct {
	cs  kubernetes.Interface
	dyn dynamic.Interface
	// customVersion is the preferred version of each custom group the
	// cluster serves.
	customVersion map[string]string
	opts          Options
	progress      *progress

	mu         sync.Mutex // guards res and controllers
	res        *Result
	objs       []*object.Object
	controller map[types.UID]bool // UIDs of the pod controllers listed
	notes      map[string]bool
}

// listAll lists the resources concurrently, each in every requested
// namespace.
func (l *loader) listAll(ctx context.Context, rs []Resource) error {
	type job struct {
		r  Resource
		ns string
	}
	var jobs []job
	for _, r := range rs {
		switch {
		case r.Namespaced && len(l.opts.Namespaces) > 0:
			for _, ns := range l.opts.Namespaces {
				jobs = append(jobs, job{r, ns})
			}
		case r.Resource == "pods" && len(l.namespaceNames()) > 0:
			// Pods are most of a cluster: lists per namespace, a few at
			// a time, keep the server encoding while Palisade decodes.
			for _, ns := range l.namespaceNames() {
				jobs = append(jobs, job{r, ns})
			}
		default:
			jobs = append(jobs, job{r, ""})
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, l.opts.Parallel)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := l.list(ctx, j.r, j.ns); err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func (l *loader) namespaceNames() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, o := range l.objs {
		if o.Kind == "Namespace" {
			out = append(out, o.Name)
		}
	}
	return out
}

// list reads one resource in one namespace ("" for all) page by page,
// converting and keeping each page's objects before asking for the next.
func (l *loader) list(ctx context.Context, r Resource, ns string) error {
	lo := metav1.ListOptions{Limit: l.opts.PageSize}
	if r.Workload && l.opts.Selector != nil && !l.opts.Selector.Empty() {
		lo.LabelSelector = l.opts.Selector.String()
	}
	var kept []*object.Object
	count := 0
	restarted := false
	for {
		var (
			items []runtime.Object
			cont  string
			err   error
		)
		switch {
		case r.MetadataOnly:
			items, cont, err = l.listSecretMetadata(ctx, ns, lo)
		case r.Custom:
			items, cont, err = l.listCustom(ctx, r, ns, lo)
		default:
			items, cont, err = r.list(ctx, l.cs, ns, lo)
		}
		switch {
		case err == nil:
		case apierrors.IsResourceExpired(err) && !restarted:
			// The continue token outlived the server's compaction
			// window: read the resource again in one response.
			restarted, kept, count = true, nil, 0
			lo.Continue, lo.Limit = "", 0
			continue
		case apierrors.IsForbidden(err):
			l.note(r, ns, "forbidden: the scanner's credentials may not list it, so checks that need it did not see it")
			return nil
		case apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err):
			l.note(r, ns, "not served by this cluster")
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			where := ""
			if ns != "" {
				where = " in namespace " + ns
			}
			return fmt.Errorf("listing %s%s: %w", r, where, err)
		}
		count += len(items)
		for _, it := range items {
			o, err := l.convert(r, it)
			if err != nil {
				return err
			}
			if o != nil {
				kept = append(kept, o)
			}
		}
		l.progress.add(r.Resource, len(items))
		if cont == "" {
			break
		}
		lo.Continue = cont
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.Counts[r.String()] += count
	for _, o := range kept {
		if !l.ownedByListed(o) {
			l.objs = append(l.objs, o)
		}
		if o.IsPodController() {
			if l.controller == nil {
				l.controller = map[types.UID]bool{}
			}
			l.controller[o.Meta().UID] = true
		}
	}
	return nil
}

// discoverCustom finds which custom groups of Resources the cluster serves,
// and in which version, and makes the dynamic client to read them.
func (l *loader) discoverCustom(cfg *rest.Config) error {
	want := map[string]bool{}
	for _, r := range Resources {
		if r.Custom {
			want[r.Group] = true
		}
	}
	groups, err := l.cs.Discovery().ServerGroups()
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil // discovery is open to every user; without it, no custom kinds
		}
		return fmt.Errorf("discovering API groups: %w", err)
	}
	l.customVersion = map[string]string{}
	for _, g := range groups.Groups {
		if want[g.Name] {
			l.customVersion[g.Name] = g.PreferredVersion.Version
		}
	}
	if len(l.customVersion) == 0 {
		return nil
	}
	// JSON, not protobuf: custom resources have no protobuf form.
	l.dyn, err = dynamic.NewForConfig(cfg)
	return err
}

// listCustom lists one page of a custom kind.
func (l *loader) listCustom(ctx context.Context, r Resource, ns string, lo metav1.ListOptions) ([]runtime.Object, string, error) {
	gvr := schema.GroupVersionResource{Group: r.Group, Version: l.customVersion[r.Group], Resource: r.Resource}
	list, err := l.dyn.Resource(gvr).Namespace(ns).List(ctx, lo)
	if err != nil {
		return nil, "", err
	}
	out := make([]runtime.Object, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, list.GetContinue(), nil
}

// convert turns one listed item into an object, or nil for a Namespace
// outside the requested ones. It drops managedFields and the status of
// pods, which no check reads and which are often the largest part of an
// object.
func (l *loader) convert(r Resource, it runtime.Object) (*object.Object, error) {
	m, ok := it.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("listing %s: item of type %T has no metadata", r, it)
	}
	if r.Resource == "namespaces" && l.res.namespaces != nil && !l.res.namespaces[m.GetName()] {
		return nil, nil
	}
	m.SetManagedFields(nil)
	if p, ok := it.(*corev1.Pod); ok {
		p.Status = corev1.PodStatus{} // what runs, not what is declared: no check reads it
	}
	src := object.Source{File: l.sourceName(r.Kind, m.GetNamespace(), m.GetName())}
	if u, ok := it.(*unstructured.Unstructured); ok {
		// A custom resource: the same generic object a manifest of it
		// decodes to.
		return object.FromGeneric(src, u.GroupVersionKind(), m.GetNamespace(), u.Object), nil
	}
	return object.FromTyped(it, src)
}

func (l *loader) sourceName(kind, ns, name string) string {
	if ns == "" {
		return "cluster://" + l.opts.Name + "/" + kind + "/" + name
	}
	return "cluster://" + l.opts.Name + "/" + ns + "/" + kind + "/" + name
}

// ownedByListed reports whether o's controller is a listed pod controller:
// then o (a Pod, or a ReplicaSet or Job a Deployment or CronJob created)
// is checked through its controller's template. l.mu must be held.
func (l *loader) ownedByListed(o *object.Object) bool {
	m := o.Meta()
	if m == nil {
		return false
	}
	ref := metav1.GetControllerOfNoCopy(m)
	return ref != nil && l.controller[ref.UID]
}

func (l *loader) note(r Resource, ns, msg string) {
	s := "skipped " + r.String()
	if ns != "" {
		s += " in namespace " + ns
	}
	s += ": " + msg
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.notes == nil {
		l.notes = map[string]bool{}
	}
	if !l.notes[s] {
		l.notes[s] = true
		l.res.Notes = append(l.res.Notes, s)
	}
}

// finish orders the objects: by namespace, then by kind in Resources
// order, then by name, so that every scan of the same cluster reads the
// same way.
func (l *loader) finish() {
	order := map[string]int{}
	for i, r := range Resources {
		order[r.Kind] = i
	}
	slices.SortFunc(l.objs, func(a, b *object.Object) int {
		return cmp.Or(cmp.Compare(a.RawNamespace, b.RawNamespace), cmp.Compare(order[a.Kind], order[b.Kind]), cmp.Compare(a.Name, b.Name))
	})
	slices.Sort(l.res.Notes)
	l.res.Objects = l.objs
}

// listSecretMetadata lists Secrets as a server-side table that carries each
// Secret's metadata and type and none of its data: the scanner never
// receives a secret value.
func (l *loader) listSecretMetadata(ctx context.Context, ns string, lo metav1.ListOptions) ([]runtime.Object, string, error) {
	req := l.cs.CoreV1().RESTClient().Get().
		Resource("secrets").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Param("includeObject", string(metav1.IncludeMetadata)).
		Param("limit", fmt.Sprint(lo.Limit))
	if ns != "" {
		req = req.Namespace(ns)
	}
	if lo.Continue != "" {
		req = req.Param("continue", lo.Continue)
	}
	var table metav1.Table
	raw, err := req.DoRaw(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := decodeJSON(raw, &table); err != nil {
		return nil, "", fmt.Errorf("decoding the secrets table: %w", err)
	}
	typeCol := slices.IndexFunc(table.ColumnDefinitions, func(c metav1.TableColumnDefinition) bool { return strings.EqualFold(c.Name, "type") })
	out := make([]runtime.Object, 0, len(table.Rows))
	for _, row := range table.Rows {
		var pom metav1.PartialObjectMetadata
		if err := decodeJSON(row.Object.Raw, &pom); err != nil {
			return nil, "", fmt.Errorf("decoding secret metadata: %w", err)
		}
		s := &corev1.Secret{ObjectMeta: pom.ObjectMeta}
		if typeCol >= 0 && typeCol < len(row.Cells) {
			if t, ok := row.Cells[typeCol].(string); ok {
				s.Type = corev1.SecretType(t)
			}
		}
		out = append(out, s)
	}
	return out, table.Continue, nil
}

// progress shows what has been listed so far on one line.
type progress struct {
	w      io.Writer
	mu     sync.Mutex // guards counts, last and shown
	counts map[string]int
	order  []string
	last   time.Time
	shown  bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w, counts: map[string]int{}} }

func (p *progress) add(resource string, n int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.counts[resource]; !ok {
		p.order = append(p.order, resource)
	}
	p.counts[resource] += n
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw()
}

func (p *progress) draw() {
	total := 0
	for _, n := range p.counts {
		total += n
	}
	latest := p.order[len(p.order)-1]
	line := fmt.Sprintf("reading the cluster: %d objects (%s: %d)", total, latest, p.counts[latest])
	_, _ = fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.shown = true
}

func (p *progress) done() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		_, _ = fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func decodeJSON(data []byte, v any) error { return json.Unmarshal(data, v) }
