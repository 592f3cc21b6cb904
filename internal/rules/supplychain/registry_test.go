package supplychain

import (
	"slices"
	"testing"
)

func TestAllowList(t *testing.T) {
	got := allowList([]string{" ghcr.io/acme/ ", "", "Index.Docker.IO", "REGISTRY.example.com:5000", "docker.io/library"})
	want := []string{"ghcr.io/acme", "docker.io", "registry.example.com:5000", "docker.io/library"}
	if !slices.Equal(got, want) {
		t.Errorf("allowList = %q, want %q", got, want)
	}
}

func TestPermitted(t *testing.T) {
	tests := []struct {
		image   string
		allowed []string
		want    bool
	}{
		{"nginx:1.27", []string{"docker.io"}, true},
		{"nginx:1.27", []string{"index.docker.io"}, true},
		{"nginx:1.27", []string{"docker.io/library"}, true},
		{"bitnami/redis:7", []string{"docker.io/library"}, false},
		{"index.docker.io/bitnami/redis:7", []string{"docker.io/bitnami"}, true},
		{"ghcr.io/acme/api:1", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme/team/api:1", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme-evil/api:1", []string{"ghcr.io/acme"}, false},
		{"ghcr.io/acme:1", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/other/api:1", []string{"ghcr.io/acme", "quay.io"}, false},
		{"localhost:5000/app", []string{"localhost"}, false},
		{"localhost:5000/app", []string{"localhost:5000"}, true},
		{"registry.example.com.evil.io/app", []string{"registry.example.com"}, false},
		{"Registry.Example.com/app", []string{"registry.example.com"}, true},
		// A host entry never matches Docker Hub's implicit registry.
		{"registry.example.com", []string{"registry.example.com"}, false},
	}
	for _, tt := range tests {
		r, err := parseReference(tt.image)
		if err != nil {
			t.Fatalf("parseReference(%q): %v", tt.image, err)
		}
		if got := permitted(r, allowList(tt.allowed)); got != tt.want {
			t.Errorf("permitted(%q, %q) = %v, want %v", tt.image, tt.allowed, got, tt.want)
		}
	}
}
