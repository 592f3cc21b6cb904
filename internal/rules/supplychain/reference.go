package supplychain

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// reference is a container image reference split into the parts the
// supply-chain rules reason about.
type reference struct {
	// Domain is the registry host, with its port if any, lower-cased, with
	// Docker Hub's aliases folded into "docker.io".
	Domain string
	// Path is the repository inside the registry. Docker Hub's official
	// images carry their implicit "library/" prefix.
	Path string
	// Tag is the tag as written, or "" when there is none.
	Tag string
	// Digest is "algorithm:encoded" as written, or "" when there is none.
	Digest string
}

// Name returns the fully qualified repository, for example
// "docker.io/library/nginx" for "nginx:1.27".
func (r reference) Name() string { return r.Domain + "/" + r.Path }

// floating reports whether r resolves through the "latest" tag: it has no
// digest, and its tag is "latest" or absent (which runtimes read as
// "latest").
func (r reference) floating() bool {
	return r.Digest == "" && (r.Tag == "" || r.Tag == "latest")
}

// dockerHub is the canonical name of Docker Hub. Images without a registry
// come from there.
const dockerHub = "docker.io"

// dockerHubAliases are the other host names that reach Docker Hub's
// registry.
var dockerHubAliases = map[string]bool{"index.docker.io": true, "registry-1.docker.io": true}

// maxNameLength is the longest repository name (registry and path, as
// written) that the reference grammar accepts.
const maxNameLength = 255

var (
	// hostRE matches a registry host: DNS labels or a bracketed IPv6
	// address, with an optional port.
	hostRE = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?$`)
	// pathComponentRE matches one slash-separated repository component:
	// lower-case alphanumerics joined by ".", "_", "__" or runs of "-".
	pathComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagRE           = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// digestRE matches an OCI digest: an algorithm, a colon and an encoded
	// hash of at least 32 characters.
	digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$`)
	// hexLengths are the encoded lengths of the registered digest
	// algorithms, whose hashes are lower-case hex.
	hexLengths = map[string]int{"sha256": 64, "sha512": 128}
	lowerHexRE = regexp.MustCompile(`^[0-9a-f]+$`)
)

// parseReference parses an image reference of the form
// [registry[:port]/]repository[:tag][@digest], following the grammar that
// container runtimes and github.com/distribution/reference implement.
//
// The first path component is the registry only when it contains a "." or
// a ":", is "localhost", or has upper-case letters (which a repository
// cannot): "localhost:5000/app" is the repository "app" on localhost:5000,
// with no tag, while "app:5000" is Docker Hub's "library/app" at tag "5000".
// refCache remembers what parseReference made of an image reference. A
// scan of many workloads, and a webhook admitting the same images all day,
// parse the same few references again and again, and the grammar is
// checked with regular expressions. The cache is emptied when it reaches
// maxCachedRefs entries, so a stream of distinct images cannot grow it.
var refCache struct {
	m sync.Map // string → cachedRef
	n atomic.Int64
}

const maxCachedRefs = 4096

type cachedRef struct {
	ref reference
	err error
}

// cachedReference is parseReference through refCache.
func cachedReference(s string) (reference, error) {
	if v, ok := refCache.m.Load(s); ok {
		c := v.(cachedRef)
		return c.ref, c.err
	}
	// Parsed from a copy, the cached parts keep no object's memory alive.
	key := strings.Clone(s)
	ref, err := parseReference(key)
	if refCache.n.Load() >= maxCachedRefs {
		refCache.m.Clear()
		refCache.n.Store(0)
	}
	if _, loaded := refCache.m.LoadOrStore(key, cachedRef{ref, err}); !loaded {
		refCache.n.Add(1)
	}
	return ref, err
}

func parseReference(s string) (reference, error) {
	if s == "" {
		return reference{}, errors.New("empty reference")
	}
	if strings.TrimSpace(s) != s {
		return reference{}, errors.New("leading or trailing white space")
	}
	var r reference
	name, digest, hasDigest := strings.Cut(s, "@")
	if hasDigest {
		if err := checkDigest(digest); err != nil {
			return reference{}, err
		}
		r.Digest = digest
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, r.Tag = name[:i], name[i+1:]
		if !tagRE.MatchString(r.Tag) {
			return reference{}, fmt.Errorf("invalid tag %q", r.Tag)
		}
	}
	if name == "" {
		return reference{}, errors.New("no repository name")
	}
	if len(name) > maxNameLength {
		return reference{}, fmt.Errorf("repository name longer than %d characters", maxNameLength)
	}
	r.Domain, r.Path = splitDomain(name)
	if !hostRE.MatchString(r.Domain) {
		return reference{}, fmt.Errorf("invalid registry host %q", r.Domain)
	}
	for _, c := range strings.Split(r.Path, "/") {
		if !pathComponentRE.MatchString(c) {
			return reference{}, fmt.Errorf("invalid repository path component %q (lower-case letters, digits and separators only)", c)
		}
	}
	r.Domain = normaliseDomain(r.Domain)
	if r.Domain == dockerHub && !strings.Contains(r.Path, "/") {
		r.Path = "library/" + r.Path
	}
	return r, nil
}

// splitDomain separates the registry host from the repository path of a
// name without tag or digest. Names without a registry belong to Docker Hub.
func splitDomain(name string) (domain, path string) {
	first, rest, ok := strings.Cut(name, "/")
	isHost := strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first
	if !ok || !isHost {
		return dockerHub, name
	}
	return first, rest
}

// normaliseDomain lower-cases a registry host and folds Docker Hub's
// aliases into "docker.io".
func normaliseDomain(domain string) string {
	domain = strings.ToLower(domain)
	if dockerHubAliases[domain] {
		return dockerHub
	}
	return domain
}

func checkDigest(d string) error {
	if !digestRE.MatchString(d) {
		return fmt.Errorf("invalid digest %q", d)
	}
	alg, enc, _ := strings.Cut(d, ":")
	if n, ok := hexLengths[alg]; ok && (len(enc) != n || !lowerHexRE.MatchString(enc)) {
		return fmt.Errorf("invalid %s digest: want %d lower-case hex characters", alg, n)
	}
	return nil
}
