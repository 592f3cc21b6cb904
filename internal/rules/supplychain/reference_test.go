package supplychain

import (
	"fmt"
	"strings"
	"testing"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want reference
	}{
		{"nginx", reference{Domain: "docker.io", Path: "library/nginx"}},
		{"nginx:1.27", reference{Domain: "docker.io", Path: "library/nginx", Tag: "1.27"}},
		{"nginx:latest", reference{Domain: "docker.io", Path: "library/nginx", Tag: "latest"}},
		{"bitnami/redis:7.2", reference{Domain: "docker.io", Path: "bitnami/redis", Tag: "7.2"}},
		{"docker.io/nginx", reference{Domain: "docker.io", Path: "library/nginx"}},
		{"index.docker.io/library/nginx:1", reference{Domain: "docker.io", Path: "library/nginx", Tag: "1"}},
		{"registry-1.docker.io/bitnami/redis", reference{Domain: "docker.io", Path: "bitnami/redis"}},
		{"Docker.IO/library/nginx", reference{Domain: "docker.io", Path: "library/nginx"}},
		// A registry port is not a tag.
		{"localhost:5000/app", reference{Domain: "localhost:5000", Path: "app"}},
		{"localhost:5000/app:v2", reference{Domain: "localhost:5000", Path: "app", Tag: "v2"}},
		{"localhost/app", reference{Domain: "localhost", Path: "app"}},
		{"registry:5000/team/app", reference{Domain: "registry:5000", Path: "team/app"}},
		// Without a slash the part after the colon is a tag.
		{"app:5000", reference{Domain: "docker.io", Path: "library/app", Tag: "5000"}},
		{"[::1]:5000/app:1", reference{Domain: "[::1]:5000", Path: "app", Tag: "1"}},
		{"ghcr.io/acme/api:v1.4.0", reference{Domain: "ghcr.io", Path: "acme/api", Tag: "v1.4.0"}},
		{"gcr.io/distroless/static-debian12:nonroot", reference{Domain: "gcr.io", Path: "distroless/static-debian12", Tag: "nonroot"}},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/web", reference{Domain: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Path: "web"}},
		{"nginx@" + testDigest, reference{Domain: "docker.io", Path: "library/nginx", Digest: testDigest}},
		{"nginx:1.27@" + testDigest, reference{Domain: "docker.io", Path: "library/nginx", Tag: "1.27", Digest: testDigest}},
		{"localhost:5000/app@" + testDigest, reference{Domain: "localhost:5000", Path: "app", Digest: testDigest}},
		{"quay.io/a/b__c/d-e.f:TAG_1", reference{Domain: "quay.io", Path: "a/b__c/d-e.f", Tag: "TAG_1"}},
		{"a--b/c", reference{Domain: "docker.io", Path: "a--b/c"}},
	}
	for _, tt := range tests {
		got, err := parseReference(tt.in)
		if err != nil {
			t.Errorf("parseReference(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseReference(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseReferenceErrors(t *testing.T) {
	for _, in := range []string{
		"",
		" nginx",
		"nginx ",
		"Nginx",            // repository paths are lower-case
		"ghcr.io/Acme/api", // ... at every level
		"nginx:",           // empty tag
		"nginx:-1",         // a tag cannot start with "-"
		"nginx:" + strings.Repeat("a", 129),
		"nginx@sha256:abc", // too short
		"nginx@sha256:" + strings.ToUpper(testDigest[7:]),
		"nginx@" + testDigest + "0", // wrong length for sha256
		"nginx@md5",                 // no encoded part
		"localhost:5000/",           // no repository
		"reg_istry.io:5000/app",     // "_" is not valid in a host
		"ghcr.io//app",              // empty component
		"app/",                      // trailing slash
		"a_-b",                      // mixed separators
		":1.0",                      // no name at all
		"ghcr.io/" + strings.Repeat("a", 250),
	} {
		if r, err := parseReference(in); err == nil {
			t.Errorf("parseReference(%q) = %+v, want an error", in, r)
		}
	}
}

func TestFloating(t *testing.T) {
	for in, want := range map[string]bool{
		"nginx":                      true,
		"nginx:latest":               true,
		"localhost:5000/app":         true,
		"nginx:1.27":                 false,
		"nginx:Latest":               false, // tags are case-sensitive
		"nginx@" + testDigest:        false,
		"nginx:latest@" + testDigest: false, // the digest wins
		"localhost:5000/app:latest":  true,
		"localhost:5000/app:stable":  false,
	} {
		r, err := parseReference(in)
		if err != nil {
			t.Fatalf("parseReference(%q): %v", in, err)
		}
		if got := r.floating(); got != want {
			t.Errorf("parseReference(%q).floating() = %v, want %v", in, got, want)
		}
	}
}

// TestCachedReference checks that the cache answers as parseReference does,
// errors included, and empties itself rather than grow past its bound.
func TestCachedReference(t *testing.T) {
	for _, s := range []string{"nginx", "nginx:1.25", "ghcr.io/a/b@sha256:" + strings.Repeat("a", 64), "UPPER/case", "", " x", "a:b:c"} {
		want, wantErr := parseReference(s)
		for range 2 { // the second answer comes from the cache
			got, err := cachedReference(s)
			if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("cachedReference(%q) = %+v, %v; want %+v, %v", s, got, err, want, wantErr)
			}
		}
	}
	for i := range 2*maxCachedRefs + 10 {
		if _, err := cachedReference(fmt.Sprintf("registry.example/app%d:v1", i)); err != nil {
			t.Fatal(err)
		}
		if n := refCache.n.Load(); n > maxCachedRefs {
			t.Fatalf("cache holds %d entries, more than %d", n, maxCachedRefs)
		}
	}
}
