package rule

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/object"
)

// TestContainerMessage pins the wording, quoting included, that findings
// and their fingerprints carry, to what fmt's %q gives.
func TestContainerMessage(t *testing.T) {
	for _, name := range []string{"web", "", `say "hi"`, "tab\there", "ünïcode", "\x00"} {
		for kind, word := range map[object.ContainerKind]string{
			object.RegularContainer:   "container",
			object.InitContainer:      "init container",
			object.EphemeralContainer: "ephemeral container",
		} {
			got := ContainerMessage(object.Container{Container: &corev1.Container{Name: name}, Kind: kind})
			if want := fmt.Sprintf("%s %q", word, name); got != want {
				t.Errorf("ContainerMessage(%q, %v) = %s, want %s", name, kind, got, want)
			}
		}
	}
}
