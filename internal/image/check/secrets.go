package check

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/image/malware"
	"github.com/palisade-dev/palisade/internal/image/match"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/secretscan"
)

// The secret rules for files. Files are read as text (binaries are left
// out), up to the scanner's size bound, skipping the paths of
// SecretAllowPaths and files a package database says a package installed.
// A set of keywords (key prefixes such as AKIA, ghp_ and glpat-, PEM
// headers, and words such as password and token) is searched for in one
// pass; only the lines holding one are given to the detectors of
// internal/secretscan, which judge well-known formats by shape and generic
// values by the name they are assigned to and their entropy. Credential
// files with a format of their own (Docker and kubeconfig files, .npmrc,
// .pypirc, .git-credentials) have their own detectors.
var (
	SecretCloudKey = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-cloud-key",
		Title:    "Cloud provider credential in a file",
		Severity: rule.Critical,
		Category: rule.CategorySecrets,
		Doc: "An AWS access key or secret key, a Google Cloud service account key file or an Azure storage or " +
			"shared access key in a file of the image gives anyone who pulls the image the cloud account's " +
			"permissions, even from a layer that a later layer deleted it from.",
		Remediation: "Deactivate the key now, remove the file in the layer that added it (not a later one) and give workloads cloud access through workload identity.",
		References:  []framework.Ref{framework.MITRERef("T1552.001"), framework.MITRERef("T1078")},
	}}
	SecretPrivateKey = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-private-key",
		Title:    "Private key in a file",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "A PEM private key (RSA, EC, OpenSSH, PKCS#8, PGP, plain or base64-encoded) shipped in an image is " +
			"shared with everyone who can pull it: TLS keys let them impersonate the service, SSH keys log them in.",
		Remediation: "Revoke the key, remove it from the image's build and mount keys from a Kubernetes Secret at run time.",
		References:  []framework.Ref{framework.MITRERef("T1552.004")},
	}}
	SecretToken = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-token",
		Title:    "API token in a file",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "GitHub, GitLab, Slack, Stripe and npm tokens and signed JWTs have recognizable shapes; one found in a " +
			"file of the image is readable by anyone who pulls it and acts with its owner's permissions.",
		Remediation: "Revoke the token, remove it from the image's build and provide it at run time from a Kubernetes Secret.",
		References:  []framework.Ref{framework.MITRERef("T1552.001"), framework.MITRERef("T1528")},
	}}
	SecretRegistryAuth = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-registry-auth",
		Title:    "Registry credentials in a Docker config file",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "A .docker/config.json or .dockercfg with auths entries holds registry user names and passwords (base64 " +
			"is not encryption) or identity tokens, left behind by a docker login during the build. They let anyone " +
			"who pulls the image push to those registries.",
		Remediation: "Log out in the same RUN step that logged in, or use BuildKit secret mounts, and rotate the registry password.",
		References:  []framework.Ref{framework.MITRERef("T1552.001"), framework.MITRERef("T1195.002")},
	}}
	SecretKubeconfig = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-kubeconfig",
		Title:    "Kubeconfig with credentials",
		Severity: rule.Critical,
		Category: rule.CategorySecrets,
		Doc: "A kubeconfig whose users carry a client key, a bearer token or a password is a cluster login. In an " +
			"image it gives everyone who pulls the image that user's access to the cluster.",
		Remediation: "Remove the kubeconfig from the image, revoke its credentials and let pods use their service account instead.",
		References:  []framework.Ref{framework.MITRERef("T1552.001"), framework.MITRERef("T1078")},
	}}
	SecretPackageManager = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-package-manager",
		Title:    "Package manager or Git credentials in a file",
		Severity: rule.High,
		Category: rule.CategorySecrets,
		Doc: "An .npmrc with _authToken, _auth or _password, a .pypirc with a password, or a .git-credentials line " +
			"with a password holds publishing or repository credentials, the kind supply-chain attackers use to " +
			"push malicious releases.",
		Remediation: "Remove the file in the layer that added it, use BuildKit secret mounts for build-time credentials, and rotate them.",
		References:  []framework.Ref{framework.MITRERef("T1552.001"), framework.MITRERef("T1195.001")},
	}}
	SecretPassword = &FileRule{Meta: rule.Meta{
		ID:       "secret-file-password",
		Title:    "Password or secret in a configuration file",
		Severity: rule.Medium,
		Category: rule.CategorySecrets,
		Doc: "A value assigned to a key that says it is a password, secret, token or key (password=..., \"apiKey\": " +
			"\"...\"), random enough not to be a word, a reference or a placeholder, or a URL with an embedded " +
			"password, in a text file of the image. Well-known weak passwords are reported whatever their entropy.",
		Remediation: "Move the value out of the image into a Kubernetes Secret read at run time, and rotate it.",
		References:  []framework.Ref{framework.MITRERef("T1552.001")},
	}}
)

// SecretRules returns the secret rules for files.
func SecretRules() []*FileRule {
	return []*FileRule{SecretCloudKey, SecretPrivateKey, SecretToken, SecretRegistryAuth, SecretKubeconfig, SecretPackageManager, SecretPassword}
}

// ruleOfKind maps the credential kinds of internal/secretscan to rules.
func ruleOfKind(kind string) *FileRule {
	switch kind {
	case "an AWS access key ID", "an AWS secret access key", "a GCP service account key", "an Azure storage account key", "an Azure shared access key":
		return SecretCloudKey
	case "a PEM private key", "a base64-encoded PEM private key":
		return SecretPrivateKey
	case "a GitHub token", "a GitLab token", "a Slack token", "a Stripe live key", "an npm token", "a JWT":
		return SecretToken
	}
	return SecretPassword
}

// SecretAllowPaths are never searched for secrets: documentation, the
// sources and test data of language toolchains and packages, and public
// certificate stores, where keys and tokens are examples and fixtures.
var SecretAllowPaths = []string{
	"/usr/share/**", "/usr/include/**", "/usr/local/go/**", "/usr/lib/go/**", "/usr/lib/go-*/**", "/usr/local/include/**",
	"**/testdata/**", "**/test/fixtures/**", "**/node_modules/**", "**/site-packages/**", "**/dist-packages/**",
	"/usr/lib/python*/**", "/usr/local/lib/python*/**", "/etc/ssl/certs/**", "/usr/lib/ssl/certs/**", "/etc/pki/ca-trust/**",
	"/proc/**", "/sys/**", "/var/lib/dpkg/**", "/lib/apk/db/**", "/var/lib/rpm/**", "/var/cache/**",
}

// secretKeywords are searched for in one pass; only the lines holding one
// are given to the detectors.
var secretKeywords = []match.Literal{
	{Text: "AKIA"}, {Text: "ASIA"}, {Text: "service_account"}, {Text: "AccountKey", Fold: true}, {Text: "SharedAccessKey", Fold: true},
	{Text: "PRIVATE KEY"}, {Text: "LS0tLS1CRUdJTi"}, {Text: "ghp_"}, {Text: "gho_"}, {Text: "ghu_"}, {Text: "ghs_"}, {Text: "ghr_"},
	{Text: "github_pat_"}, {Text: "glpat-"}, {Text: "xoxb-"}, {Text: "xoxp-"}, {Text: "xoxa-"}, {Text: "xoxr-"}, {Text: "xoxs-"},
	{Text: "sk_live_"}, {Text: "rk_live_"}, {Text: "npm_"}, {Text: "eyJ"}, {Text: "://"},
	{Text: "password", Fold: true}, {Text: "passwd", Fold: true}, {Text: "secret", Fold: true}, {Text: "token", Fold: true},
	{Text: "api_key", Fold: true}, {Text: "apikey", Fold: true}, {Text: "api-key", Fold: true}, {Text: "credential", Fold: true},
	{Text: "access_key", Fold: true}, {Text: "accesskey", Fold: true}, {Text: "passphrase", Fold: true},
}

// SecretHit is one credential found in a file.
type SecretHit struct {
	Rule     *FileRule
	Line     int
	Message  string
	Evidence string
}

// SecretScanner finds secrets in files. It is safe for concurrent use.
type SecretScanner struct {
	keywords *match.Set
	allow    []*regexp.Regexp
}

// NewSecretScanner compiles the keyword set and the allow-list.
func NewSecretScanner() *SecretScanner {
	s := &SecretScanner{keywords: match.MustCompile(secretKeywords)}
	for _, g := range SecretAllowPaths {
		s.allow = append(s.allow, globRegexp(g))
	}
	return s
}

func globRegexp(g string) *regexp.Regexp {
	// Reuse the malware rules' glob syntax.
	var sb strings.Builder
	sb.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; {
		case c == '*' && i+1 < len(g) && g[i+1] == '*':
			i++
			if i+1 < len(g) && g[i+1] == '/' {
				i++
				sb.WriteString("(?:.*/)?")
			} else {
				sb.WriteString(".*")
			}
		case c == '*':
			sb.WriteString("[^/]*")
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	sb.WriteString("$")
	return regexp.MustCompile(sb.String())
}

// Skip reports whether a path is on the allow-list.
func (s *SecretScanner) Skip(p string) bool {
	for _, re := range s.allow {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}

// maxSecretLines bounds how many lines of one file go to the detectors.
const maxSecretLines = 256

// Scan returns the secrets in one text file. Binary content returns none.
func (s *SecretScanner) Scan(p string, content []byte) []SecretHit {
	if malware.Classify(content) == malware.Binary || malware.Classify(content) == malware.ELF {
		return nil
	}
	base := path.Base(p)
	switch {
	case base == "config.json" && strings.HasSuffix(path.Dir(p), "/.docker"), base == ".dockercfg":
		return dockerConfig(content)
	case base == ".npmrc":
		return npmrc(content)
	case base == ".pypirc":
		return pypirc(content)
	case base == ".git-credentials":
		return gitCredentials(content)
	case bytes.Contains(content, []byte("kind: Config")) && bytes.Contains(content, []byte("users:")):
		if hits := kubeconfig(content); len(hits) > 0 {
			return hits
		}
	}
	// Collect the lines holding a keyword.
	lines := map[int][2]int{} // line number -> [start, end) of the window
	var order []int
	s.keywords.Scan(content, func(lit, at int) bool {
		start := bytes.LastIndexByte(content[:at], '\n') + 1
		line := 1 + bytes.Count(content[:start], []byte("\n"))
		if _, ok := lines[line]; ok {
			return true
		}
		end := bytes.IndexByte(content[at:], '\n')
		if end < 0 {
			end = len(content)
		} else {
			end += at
		}
		switch secretKeywords[lit].Text {
		case "PRIVATE KEY":
			// The whole PEM block.
			if e := bytes.Index(content[at:], []byte("-----END")); e >= 0 && e < 64<<10 {
				if nl := bytes.IndexByte(content[at+e:], '\n'); nl >= 0 {
					end = at + e + nl
				} else {
					end = len(content)
				}
			}
		case "service_account":
			// A key file is one JSON document.
			if len(content) <= 64<<10 {
				start, end, line = 0, len(content), 1
			}
		}
		lines[line] = [2]int{start, end}
		order = append(order, line)
		return len(order) < maxSecretLines
	})
	sort.Ints(order)
	var out []SecretHit
	seen := map[int]bool{}
	for _, line := range order {
		w := lines[line]
		for _, c := range secretscan.Scan(base, string(content[w[0]:w[1]])) {
			l := line + c.Line - 1
			if seen[l] {
				continue
			}
			seen[l] = true
			out = append(out, SecretHit{Rule: ruleOfKind(c.Kind), Line: l, Message: c.Describe(), Evidence: secretscan.Mask(c.Secret)})
		}
	}
	return out
}

func dockerConfig(b []byte) []SecretHit {
	var cfg struct {
		Auths map[string]struct {
			Auth          string `json:"auth"`
			Password      string `json:"password"`
			IdentityToken string `json:"identitytoken"`
		} `json:"auths"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		// .dockercfg is the auths map itself.
		if json.Unmarshal(b, &cfg.Auths) != nil {
			return nil
		}
	}
	hosts := make([]string, 0, len(cfg.Auths))
	for h := range cfg.Auths {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var out []SecretHit
	for _, h := range hosts {
		a := cfg.Auths[h]
		secret := ""
		switch {
		case a.IdentityToken != "":
			secret = a.IdentityToken
		case a.Password != "":
			secret = a.Password
		case a.Auth != "":
			dec, err := base64.StdEncoding.DecodeString(a.Auth)
			if _, pass, ok := strings.Cut(string(dec), ":"); err == nil && ok && pass != "" {
				secret = pass
			}
		}
		if secret == "" {
			continue
		}
		out = append(out, SecretHit{Rule: SecretRegistryAuth, Line: lineOf(b, h), Message: fmt.Sprintf("credentials for registry %s %s", h, secretscan.Mask(secret)), Evidence: secretscan.Mask(secret)})
	}
	return out
}

func lineOf(b []byte, s string) int {
	i := bytes.Index(b, []byte(s))
	if i < 0 {
		return 0
	}
	return 1 + bytes.Count(b[:i], []byte("\n"))
}

var (
	kubeCredRE = regexp.MustCompile(`^\s*(client-key-data|token|password)\s*:\s*["']?([^"'\s]+)`)
	npmrcRE    = regexp.MustCompile(`(?:^|:)(_authToken|_auth|_password)\s*=\s*(\S+)`)
	pypircRE   = regexp.MustCompile(`^\s*password\s*[:=]\s*(\S+)`)
	gitCredRE  = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://([^:/@\s]*):([^@\s]+)@(\S+)`)
)

func placeholderValue(v string) bool {
	// Reuse the detectors' notion of a placeholder through a name that
	// makes any non-placeholder literal a secret.
	return len(secretscan.Scan("password", "password="+v)) == 0 && !strings.HasPrefix(v, "LS0t")
}

func kubeconfig(b []byte) []SecretHit {
	var out []SecretHit
	for i, line := range strings.Split(string(b), "\n") {
		m := kubeCredRE.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(m[2], "$") || m[2] == "null" || m[2] == `""` {
			continue
		}
		if m[1] != "client-key-data" && placeholderValue(m[2]) {
			continue
		}
		out = append(out, SecretHit{Rule: SecretKubeconfig, Line: i + 1, Message: fmt.Sprintf("a kubeconfig %s %s", m[1], secretscan.Mask(m[2])), Evidence: secretscan.Mask(m[2])})
	}
	return out
}

func npmrc(b []byte) []SecretHit {
	var out []SecretHit
	for i, line := range strings.Split(string(b), "\n") {
		m := npmrcRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil || strings.Contains(m[2], "${") {
			continue
		}
		out = append(out, SecretHit{Rule: SecretPackageManager, Line: i + 1, Message: fmt.Sprintf("an npm %s %s", m[1], secretscan.Mask(m[2])), Evidence: secretscan.Mask(m[2])})
	}
	return out
}

func pypirc(b []byte) []SecretHit {
	var out []SecretHit
	for i, line := range strings.Split(string(b), "\n") {
		m := pypircRE.FindStringSubmatch(line)
		if m == nil || strings.Contains(m[1], "${") || strings.Contains(m[1], "%(") {
			continue
		}
		out = append(out, SecretHit{Rule: SecretPackageManager, Line: i + 1, Message: "a PyPI password " + secretscan.Mask(m[1]), Evidence: secretscan.Mask(m[1])})
	}
	return out
}

func gitCredentials(b []byte) []SecretHit {
	var out []SecretHit
	for i, line := range strings.Split(string(b), "\n") {
		m := gitCredRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		out = append(out, SecretHit{Rule: SecretPackageManager, Line: i + 1, Message: fmt.Sprintf("a Git password for %s %s", m[3], secretscan.Mask(m[2])), Evidence: secretscan.Mask(m[2])})
	}
	return out
}
