package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"

	"github.com/palisade-dev/palisade/internal/admission"
	"github.com/palisade-dev/palisade/internal/admission/admissiontest"
	"github.com/palisade-dev/palisade/internal/rules"
)

// BenchmarkWebhookValidate measures one validating request through the
// HTTP handler (decode the review, evaluate the catalog under the default
// policy, encode the response), without TLS or the network: the part of
// the latency budget that is Palisade's own. bench/webhookload measures
// the whole server under load.
func BenchmarkWebhookValidate(b *testing.B) {
	for _, name := range []string{"pod.yaml", "deployment.yaml"} {
		b.Run(name, func(b *testing.B) {
			manifest, err := os.ReadFile(filepath.Join("testdata", "webhook", name))
			if err != nil {
				b.Fatal(err)
			}
			review, err := admissiontest.Review(manifest, "uid-1", authenticationv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller"})
			if err != nil {
				b.Fatal(err)
			}
			body, err := json.Marshal(review)
			if err != nil {
				b.Fatal(err)
			}
			p, err := admission.ParsePolicy("default", []byte(admission.DefaultPolicy), rules.All())
			if err != nil {
				b.Fatal(err)
			}
			h := admission.NewHandler(p, admission.Options{Catalog: rules.All(), Metrics: admission.NewMetrics()}).Validating()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(fmt.Sprint(rec.Code, rec.Body))
				}
			}
		})
	}
}
