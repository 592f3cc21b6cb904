package lifecycle

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/palisade-dev/palisade/internal/rule"
)

// latestMinor is the minor version of the newest Kubernetes release
// Palisade knows (the k8s.io/api it is built with), the target when the
// scan names none.
const latestMinor = 37

var kubeVersionRE = regexp.MustCompile(`^v?1\.(\d+)(\.\d+)?([-+].*)?$`)

// targetMinor returns the minor version of the Kubernetes 1.x release the
// scan targets. It accepts "v1.30", "1.30", "v1.30.2", "v1.30.2-eks-1" and
// "latest"; anything else is an error, since the rules cannot answer
// without a version.
func targetMinor(opts rule.Options) (int, error) {
	v := opts.KubeVersion
	if v == "" || v == "latest" {
		return latestMinor, nil
	}
	m := kubeVersionRE.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("kube-version %q is not a Kubernetes 1.x version such as v1.30", v)
	}
	return strconv.Atoi(m[1])
}
