package admission

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

// TestConcurrentReviewsAnswerAsAlone sends different reviews from many
// goroutines at once and expects each answer to be byte for byte what the
// same review gets alone. The handler reuses buffers between requests (the
// body, the decoder's scratch slices, the engine's findings, the response
// stream): a buffer handed back too early, or shared, would mix one
// request's answer into another's. CI runs this package under -race.
func TestConcurrentReviewsAnswerAsAlone(t *testing.T) {
	h := newTestHandler(t, "", nil).Validating()
	good, plain, privileged := fixture(t, "good-pod.yaml"), fixture(t, "plain-pod.yaml"), fixture(t, "privileged-deployment.yaml")
	reviews := []*admissionv1.AdmissionReview{
		reviewOf(t, admissionv1.Create, good, nil, alice),
		reviewOf(t, admissionv1.Create, plain, nil, alice),
		reviewOf(t, admissionv1.Create, privileged, nil, alice),
		reviewOf(t, admissionv1.Update, privileged, privileged, alice),
	}
	var bodies, want [][]byte
	for _, rv := range reviews {
		body, err := json.Marshal(rv)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, body)
		want = append(want, post(t, h, body).Body.Bytes())
	}
	if bytes.Equal(want[0], want[2]) || bytes.Equal(want[2], want[3]) {
		t.Fatal("the reviews must get different answers for the test to notice a mix-up")
	}
	const workers, each = 8, 100
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				k := (w + i) % len(bodies)
				rec := post(t, h, bodies[k])
				if got := rec.Body.Bytes(); rec.Code != 200 || !bytes.Equal(got, want[k]) {
					errs <- "review " + string(reviews[k].Request.UID) + " (" + string(reviews[k].Request.Operation) + ") answered\n" + string(got) + "\nalone it gets\n" + string(want[k])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
