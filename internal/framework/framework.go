// Package framework holds the security frameworks that rules cite: the Pod
// Security Standards, the CIS Kubernetes Benchmark, the NSA-CISA Kubernetes
// Hardening Guide and MITRE ATT&CK for Containers. A rule cites them through
// typed references, and Validate checks every reference against the catalogs
// here, so a typo in a section number fails the catalog test rather than
// reaching a user's report.
package framework

import (
	"fmt"
	"slices"
	"strings"
)

// Kind names a framework.
type Kind string

// The frameworks Palisade maps rules to.
const (
	PSS   Kind = "pss"
	CIS   Kind = "cis"
	NSA   Kind = "nsa-cisa"
	MITRE Kind = "mitre-attack"
)

// Ref is one citation of a framework entry.
type Ref struct {
	Framework Kind `json:"framework"`
	// ID is the entry's identifier in that framework: a PSS check ID such as
	// "baseline/privileged", a CIS section such as "5.2.2", an NSA-CISA
	// section key, or an ATT&CK technique such as "T1611".
	ID string `json:"id"`
}

// PSSRef cites a Pod Security Standards control at a level.
func PSSRef(level, check string) Ref { return Ref{Framework: PSS, ID: level + "/" + check} }

// CISRef cites a section of the CIS Kubernetes Benchmark.
func CISRef(section string) Ref { return Ref{Framework: CIS, ID: section} }

// NSARef cites a section of the NSA-CISA Kubernetes Hardening Guide.
func NSARef(section string) Ref { return Ref{Framework: NSA, ID: section} }

// MITRERef cites an ATT&CK for Containers technique.
func MITRERef(technique string) Ref { return Ref{Framework: MITRE, ID: technique} }

// Title returns the catalog title of the entry, or "" if it is unknown.
func (r Ref) Title() string {
	switch r.Framework {
	case PSS:
		level, check, _ := strings.Cut(r.ID, "/")
		if t, ok := pssControls[check]; ok && slices.Contains([]string{"baseline", "restricted"}, level) {
			return t
		}
	case CIS:
		return cisSections[r.ID]
	case NSA:
		return nsaSections[r.ID]
	case MITRE:
		return mitreTechniques[r.ID]
	}
	return ""
}

// String renders the reference for people, for example
// "CIS 5.2.2 (Minimize the admission of privileged containers)".
func (r Ref) String() string {
	name := map[Kind]string{PSS: "PSS", CIS: "CIS", NSA: "NSA-CISA", MITRE: "MITRE ATT&CK"}[r.Framework]
	return fmt.Sprintf("%s %s (%s)", name, r.ID, r.Title())
}

// URL returns a link to the entry where the framework publishes one, or "".
func (r Ref) URL() string {
	switch r.Framework {
	case PSS:
		level, _, _ := strings.Cut(r.ID, "/")
		return "https://kubernetes.io/docs/concepts/security/pod-security-standards/#" + level
	case MITRE:
		return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(r.ID, ".", "/") + "/"
	}
	return ""
}

// Validate returns an error if r does not name a known entry.
func (r Ref) Validate() error {
	switch r.Framework {
	case PSS, CIS, NSA, MITRE:
	default:
		return fmt.Errorf("unknown framework %q", r.Framework)
	}
	if r.Title() == "" {
		return fmt.Errorf("%s has no entry %q", r.Framework, r.ID)
	}
	return nil
}
