package vuln

import "testing"

// ecoCase is one question to ecosystemApplies: does an advisory filed for
// ecosystem adv apply to a package of ecosystem pkg?
type ecoCase struct {
	adv, pkg string
	want     bool
}

func checkEcosystemApplies(t *testing.T, cases []ecoCase) {
	t.Helper()
	for _, tc := range cases {
		if got := ecosystemApplies(tc.adv, tc.pkg); got != tc.want {
			t.Errorf("ecosystemApplies(%q, %q) = %v, want %v", tc.adv, tc.pkg, got, tc.want)
		}
	}
}
