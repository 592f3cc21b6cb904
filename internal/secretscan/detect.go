package secretscan

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Credential is one secret found in a value.
type Credential struct {
	// Kind names the credential with its article, for messages: "a GitHub
	// token", "an AWS access key ID".
	Kind string
	// Secret is the credential itself. It must never be printed whole; use
	// describe.
	Secret string
	// Line is the 1-based line of the value the credential starts on.
	Line int
}

// Describe returns the kind and the masked secret, for example
// `a GitHub token "ghp_…" (40 chars)`.
func (c Credential) Describe() string { return c.Kind + " " + Mask(c.Secret) }

// Mask shows the length of a secret and at most its first four characters:
// a quarter of it for secrets shorter than 16 characters, so a short
// password is never half revealed. Known prefixes such as AKIA or ghp_ are
// enough to tell people which credential to rotate.
func Mask(s string) string {
	r := []rune(s)
	show := min(4, len(r)/4)
	return fmt.Sprintf("%q (%d chars)", string(r[:show])+"…", len(r))
}

// Scan returns the credentials in value, which is assigned to name (an
// environment variable or a ConfigMap key), at most one per line and in line
// order.
//
// Three passes run, and the first credential found on a line wins:
//   - detectors recognize well-known formats by shape anywhere in value;
//   - a single-line value is judged together with name (namedSecret);
//   - every line is searched for assignments of its own (password=...,
//     "token": "...", -Dfoo.secret=..., User=sa;Password=...), each judged
//     with the key it is assigned to, which covers configuration files,
//     connection strings and command lines embedded in a value.
func Scan(name, value string) []Credential {
	// Few values hold any credential, and none holds many: a slice
	// searched for the line beats a map, and nothing is allocated for a
	// value without one.
	var out []Credential
	add := func(c Credential) {
		if !slices.ContainsFunc(out, func(o Credential) bool { return o.Line == c.Line }) {
			out = append(out, c)
		}
	}
	for _, d := range detectors {
		if !containsAny(value, d.needs) {
			continue // the format's fixed text is absent: no regexp to run
		}
		for _, h := range d.find(value) {
			add(Credential{Kind: d.kind, Secret: h.secret, Line: 1 + strings.Count(value[:h.at], "\n")})
		}
	}
	if strings.IndexByte(value, '\n') < 0 && maySayName(name) {
		if c, ok := namedSecret(name, value); ok {
			c.Line = 1
			add(c)
		}
	}
	i := 0
	for line := range strings.SplitSeq(value, "\n") {
		i++
		if !maySayName(line) {
			continue // no key in the line can name a secret
		}
		for _, a := range assignments(line) {
			if c, ok := namedSecret(a.key, a.value); ok {
				c.Line = i
				add(c)
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Credential) int { return a.Line - b.Line })
	return out
}

// A detector recognizes one credential format by its shape alone.
type detector struct {
	kind string
	// needs lists text of which every match holds at least one piece:
	// Scan runs find only on values that contain one. Most values
	// contain none, and a substring search is far cheaper than the
	// regular expressions.
	needs []string
	find  func(s string) []hit
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A hit is one credential a detector found: the secret and the byte offset
// in the scanned value where its evidence starts.
type hit struct {
	at     int
	secret string
}

// detectors are the format detectors, most specific first: a GCP key file
// holds a PEM key, and a URL may hold a token that has its own format.
var detectors = []detector{
	{"a GCP service account key", []string{`"service_account"`}, findGCPServiceAccount},
	{"a PEM private key", []string{"PRIVATE KEY"}, findPEMPrivateKey},
	{"a base64-encoded PEM private key", []string{"LS0tLS1CRUdJTi"}, findBase64PEMPrivateKey},
	{"an AWS access key ID", []string{"AKIA", "ASIA"}, findPattern(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)},
	{"a GitHub token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, findPattern(`\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b`)},
	{"a GitLab token", []string{"glpat-"}, findPattern(`\bglpat-[A-Za-z0-9_-]{20,}`)},
	{"a Slack token", []string{"xox"}, findPattern(`\bxox[baprs]-[A-Za-z0-9-]{10,}`)},
	{"a Stripe live key", []string{"k_live_"}, findPattern(`\b[sr]k_live_[A-Za-z0-9]{20,}\b`)},
	{"an npm token", []string{"npm_"}, findPattern(`\bnpm_[A-Za-z0-9]{36}\b`)},
	// Case-insensitive patterns need only their "=".
	{"an Azure storage account key", []string{"="}, findPattern(`(?i)\bAccountKey=([A-Za-z0-9+/]{86}==)`)},
	{"an Azure shared access key", []string{"="}, findPattern(`(?i)\bSharedAccessKey=([A-Za-z0-9+/]{42,}={0,2})`)},
	{"a JWT", []string{"."}, findJWT},
	{"a URL with an embedded password", []string{"://"}, findURLPassword},
}

// findPattern returns a finder for a regular expression. The secret is the
// first submatch if the expression has one, or the whole match. Matches
// that are placeholders are skipped.
func findPattern(expr string) func(string) []hit {
	re := regexp.MustCompile(expr)
	return func(s string) []hit {
		var out []hit
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			start, end := m[0], m[1]
			if len(m) > 2 {
				start, end = m[2], m[3]
			}
			if secret := s[start:end]; !placeholder(secret) {
				out = append(out, hit{at: m[0], secret: secret})
			}
		}
		return out
	}
}

var (
	pemHeaderRE  = regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`)
	base64CharRE = regexp.MustCompile(`[A-Za-z0-9+/]`)
)

// minPEMBody is the number of base64 characters a PEM block must hold to
// count as a key rather than a header quoted in documentation.
const minPEMBody = 16

// findPEMPrivateKey finds PEM private key blocks (PKCS#1, PKCS#8, EC,
// OpenSSH, encrypted, PGP) that carry key material.
func findPEMPrivateKey(s string) []hit {
	var out []hit
	for _, loc := range pemHeaderRE.FindAllStringIndex(s, -1) {
		if body, ok := pemBody(s[loc[1]:]); ok {
			out = append(out, hit{at: loc[0], secret: body})
		}
	}
	return out
}

// pemBody returns the key material that follows a PEM header, up to the
// footer, with JSON-escaped line breaks ("\n" as two characters, as in key
// files embedded in JSON) turned into real ones. It reports false when the
// body is too short or a placeholder.
func pemBody(s string) (string, bool) {
	if end := strings.Index(s, "-----END"); end >= 0 {
		s = s[:end]
	}
	s = strings.TrimSpace(strings.NewReplacer(`\r`, "", `\n`, "\n").Replace(s))
	if len(base64CharRE.FindAllStringIndex(s, minPEMBody)) < minPEMBody || placeholder(s) {
		return "", false
	}
	return s, true
}

// base64PEMRE matches base64 text that starts with "-----BEGIN".
var base64PEMRE = regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}`)

// findBase64PEMPrivateKey finds PEM private keys encoded in base64, as
// kubeconfig files hold them in client-key-data.
func findBase64PEMPrivateKey(s string) []hit {
	var out []hit
	for _, loc := range base64PEMRE.FindAllStringIndex(s, -1) {
		decoded, err := base64.StdEncoding.DecodeString(s[loc[0]:loc[1]])
		if err == nil && len(findPEMPrivateKey(string(decoded))) > 0 {
			out = append(out, hit{at: loc[0], secret: s[loc[0]:loc[1]]})
		}
	}
	return out
}

var (
	gcpTypeRE       = regexp.MustCompile(`"type"\s*:\s*"service_account"`)
	gcpPrivateKeyRE = regexp.MustCompile(`"private_key"\s*:\s*"((?:[^"\\]|\\.)*)"`)
)

// findGCPServiceAccount finds the private key of a Google Cloud service
// account key file: JSON with "type": "service_account" and a PEM
// "private_key".
func findGCPServiceAccount(s string) []hit {
	if !gcpTypeRE.MatchString(s) {
		return nil
	}
	m := gcpPrivateKeyRE.FindStringSubmatchIndex(s)
	if m == nil {
		return nil
	}
	key := s[m[2]:m[3]]
	loc := pemHeaderRE.FindStringIndex(key)
	if loc == nil {
		return nil
	}
	if body, ok := pemBody(key[loc[1]:]); ok {
		return []hit{{at: m[0], secret: body}}
	}
	return nil
}

// findJWT finds JSON Web Tokens: three base64url segments whose first
// decodes to a JSON object naming an algorithm. Unsigned tokens (alg none,
// no signature) grant nothing and are left out.
func findJWT(s string) []hit {
	var out []hit
	for _, loc := range jwtSpans(s) {
		token := s[loc[0]:loc[1]]
		header, _, _ := strings.Cut(token, ".")
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(header, "="))
		if err != nil {
			continue
		}
		var h struct {
			Alg string `json:"alg"`
		}
		if json.Unmarshal(raw, &h) == nil && h.Alg != "" && !strings.EqualFold(h.Alg, "none") {
			out = append(out, hit{at: loc[0], secret: token})
		}
	}
	return out
}

// jwtSpans returns the spans of s shaped like a JWT: three runs of at
// least 8 base64url characters joined by single dots, the first starting
// and the last ending where its run does. It finds what the expression
// [A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,} finds, leftmost
// first (FuzzJWTSpans holds it to that), in one pass and without the
// regexp machinery, which cost more than the rest of Scan on every value
// with two dots (host names, versions). A match can only start where a run
// starts: from inside a run, the first segment is shorter and what follows
// it the same.
func jwtSpans(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		if !isBase64URL(s[i]) {
			i++
			continue
		}
		end, ok := i, true
		for seg := range 3 {
			j := end
			for end < len(s) && isBase64URL(s[end]) {
				end++
			}
			if end-j < 8 || (seg < 2 && (end+1 >= len(s) || s[end] != '.')) {
				ok = false
				break
			}
			if seg < 2 {
				end++ // the dot
			}
		}
		if ok {
			out = append(out, [2]int{i, end})
			i = end
			continue
		}
		for i < len(s) && isBase64URL(s[i]) {
			i++ // the next match starts at a later run
		}
	}
	return out
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// urlPasswordRE matches scheme://user:password@host. The user may be empty
// (redis://:password@host); submatch 1 is the password and 2 the host.
var urlPasswordRE = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:([^\s/?#@]+)@(\[[0-9A-Fa-f:]+\]|[^\s/?#:@]+)`)

// findURLPassword finds URLs with an embedded password. Passwords that
// reference other variables or are placeholders, and URLs to the reserved
// documentation domains (example.com, .example, .test, .invalid), are
// skipped.
func findURLPassword(s string) []hit {
	if strings.IndexByte(s, '@') < 0 {
		return nil // most URLs carry no user: the expression needs an @
	}
	var out []hit
	for _, m := range urlPasswordRE.FindAllStringSubmatchIndex(s, -1) {
		password, host := s[m[2]:m[3]], strings.ToLower(s[m[4]:m[5]])
		if placeholder(password) || exampleHost(host) {
			continue
		}
		out = append(out, hit{at: m[0], secret: password})
	}
	return out
}

// exampleHost reports whether host is reserved for documentation by
// RFC 2606.
func exampleHost(host string) bool {
	for _, d := range []string{"example.com", "example.net", "example.org"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	for _, tld := range []string{".example", ".test", ".invalid"} {
		if strings.HasSuffix(host, tld) {
			return true
		}
	}
	return false
}

// namedSecret judges a value by the name it is assigned to: an AWS or Azure
// key under a name that says so, or any literal that looks like a secret
// under a name that says it is one (genericSecret).
func namedSecret(name, value string) (Credential, bool) {
	words := nameWords(name)
	value = unquote(strings.TrimSpace(value))
	switch {
	case hasWord(words, "secret") && (hasWord(words, "aws") || hasWord(words, "access")) && awsSecretKeyRE.MatchString(value) && !placeholder(value):
		return Credential{Kind: "an AWS secret access key", Secret: value}, true
	case (hasWord(words, "azure") || hasWord(words, "storage")) && azureKeyRE.MatchString(value) && !placeholder(value):
		return Credential{Kind: "an Azure storage account key", Secret: value}, true
	}
	return genericSecret(words, value)
}

var (
	awsSecretKeyRE = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	azureKeyRE     = regexp.MustCompile(`^[A-Za-z0-9+/]{86}==$`)
)

// Thresholds for genericSecret. A literal counts as a secret when it has at
// least minSecretLength characters and a Shannon entropy of at least
// minMixedEntropy bits per character if it mixes letters with digits or
// symbols, as passwords and tokens do, or minWordEntropy otherwise. Words
// and identifiers (postgres, kubernetes, production) stay below the bar;
// random tokens and passwords such as hunter22 or s3cr3t-Pass clear it.
// Entropy is capped by length (n distinct characters give log2(n) bits), so
// short random strings of letters only are missed: the price of staying
// quiet on words.
const (
	minSecretLength = 8
	minMixedEntropy = 2.5
	minWordEntropy  = 3.5
)

// genericSecret reports a literal assigned to a name (split into words) that
// says it holds a secret (sensitiveKind) when the literal is a well-known
// weak password, or when it is not a placeholder or one of the non-secrets
// notSecret recognizes and is long and random enough (see the thresholds
// above).
func genericSecret(words []string, v string) (Credential, bool) {
	kind, ok := sensitiveKind(words)
	if !ok {
		return Credential{}, false
	}
	switch {
	case v == "" || placeholder(v):
		return Credential{}, false
	case weakPasswords[strings.ToLower(v)]:
		return Credential{Kind: "the well-known weak password", Secret: v}, true
	case notSecret(v) || utf8.RuneCountInString(v) < minSecretLength:
		return Credential{}, false
	}
	if h := entropy(v); h >= minWordEntropy || (h >= minMixedEntropy && mixesClasses(v)) {
		return Credential{Kind: kind, Secret: v}, true
	}
	return Credential{}, false
}

// weakPasswords are vendor defaults and the most common leaked passwords.
// They are reported whatever their length or entropy: "changeme" in a
// manifest is a password someone forgot to change, not a placeholder.
var weakPasswords = map[string]bool{
	"password": true, "passw0rd": true, "p@ssw0rd": true, "p@ssword": true, "password1": true, "password123": true,
	"changeme": true, "changeit": true, "admin": true, "admin123": true, "root": true, "toor": true,
	"secret": true, "letmein": true, "qwerty": true, "123456": true, "12345678": true, "123456789": true,
	"welcome": true, "hunter2": true, "mysecretpassword": true, "supersecret": true,
}

// notSecret reports literals that a secret-sounding name often holds but
// that are not secrets: booleans, numbers and durations or sizes (TTLs,
// lengths), file paths, URLs (those with a password are found by
// findURLPassword), HTTP header names, prose (prompts and descriptions) and
// namespace/name references to Kubernetes objects.
func notSecret(v string) bool { return notSecretRE.MatchString(v) || objectRefRE.MatchString(v) }

var (
	notSecretRE = regexp.MustCompile(`(?i)^(?:` +
		`true|false|yes|no|on|off|enabled?|disabled?|` +
		`[+-]?[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d|w|[kmgtp]i?b?)?|` +
		`(?:/|\./|\.\./|~/|[a-z]:\\)\S*|` +
		`[a-z][a-z0-9+.-]*://\S*|` +
		`x-[a-z0-9-]+|` +
		`[a-z]+(?:\s+[a-z]+)+[.:!?]?` +
		`)$`)
	// objectRefRE is case-sensitive: Kubernetes names are lower-case,
	// random secrets are not.
	objectRefRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*$`)
)

// placeholderRE matches values that stand in for a secret rather than
// being one: variable and template references ($(VAR) as Kubernetes
// expands it, ${VAR}, $VAR, {{ .Values.x }}, %(x)s, <%= x %>),
// documentation placeholders (<password>, [token], your-api-key,
// REPLACE_ME, anything with "example"), masked text (xxxx, ****) and empty
// words.
var placeholderRE = regexp.MustCompile(`(?i)` +
	`\$\(|\$\{|\{\{|%\(|<%|^\$[A-Za-z_][\w.-]*$|` +
	`example|placeholder|replace[_-]?me|redacted|dummy|your[_-]|insert[_-]|` +
	`xxxx|\*\*\*|\.\.\.|` +
	`^(?:<.*>|\[.*\]|none|null|nil|undefined|n/?a|tbd|todo|fixme|-+|_+|x+)$`)

// placeholder reports whether s stands in for a secret (see placeholderRE).
func placeholder(s string) bool { return placeholderRE.MatchString(s) }

// unquote removes one pair of matching quotes around a value.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// entropy returns the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	var h float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}

// mixesClasses reports whether s has letters and also digits or symbols.
func mixesClasses(s string) bool {
	var letter, other bool
	for _, r := range s {
		if unicode.IsLetter(r) {
			letter = true
		} else {
			other = true
		}
	}
	return letter && other
}

// sensitiveKind reports whether a name (split into words by nameWords)
// says it holds a secret, and what kind: a word ending in password, secret,
// token or credential(s) (DB_PASSWORD, clientSecret, GITHUB_TOKEN), pass,
// passwd or passphrase, auth, or the pairs api key, access key and private
// key (API_KEY, apiKey, privateKey).
//
// Matching whole words rather than substrings keeps AUTHOR, BYPASS and
// PASSENGER_COUNT out. A name whose last word qualifies the secret instead
// of holding it (PASSWORD_FILE, TOKEN_TTL, SECRET_NAME, AUTH_ENABLED,
// API_KEY_HEADER) is not sensitive: see nonSecretQualifiers.
func sensitiveKind(words []string) (string, bool) {
	if len(words) == 0 || nonSecretQualifiers[words[len(words)-1]] {
		return "", false
	}
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch {
		case strings.HasSuffix(w, "password") || w == "pass" || w == "passwd" || w == "passphrase":
			return "a password", true
		case w == "apikey" || (w == "api" && next == "key"):
			return "an API key", true
		case w == "accesskey" || (w == "access" && next == "key"):
			return "an access key", true
		case w == "privatekey" || (w == "private" && next == "key"):
			return "a private key", true
		case strings.HasSuffix(w, "secret"):
			return "a secret", true
		case strings.HasSuffix(w, "token"):
			return "a token", true
		case strings.HasSuffix(w, "credential") || strings.HasSuffix(w, "credentials"):
			return "a credential", true
		case w == "auth":
			return "an authentication secret", true
		}
	}
	return "", false
}

// nonSecretQualifiers are last words of names that describe a secret
// (where it is, how long it lives, whether it is on, what it is called)
// rather than hold it.
var nonSecretQualifiers = map[string]bool{
	"file": true, "files": true, "path": true, "dir": true, "directory": true, "mount": true, "location": true,
	"name": true, "names": true, "id": true, "arn": true, "ref": true, "namespace": true, "store": true, "backend": true,
	"ttl": true, "timeout": true, "expiry": true, "expiration": true, "lifetime": true, "duration": true, "interval": true,
	"enabled": true, "enable": true, "disabled": true, "disable": true, "required": true,
	"header": true, "headers": true, "regex": true, "url": true, "uri": true, "endpoint": true, "host": true, "port": true, "server": true, "domain": true, "realm": true,
	"type": true, "mode": true, "method": true, "strategy": true, "scheme": true, "provider": true, "issuer": true, "audience": true, "scope": true, "scopes": true,
	"length": true, "size": true, "min": true, "max": true, "count": true, "limit": true,
	"version": true, "policy": true, "algorithm": true, "pattern": true, "format": true, "prefix": true, "suffix": true,
	"user": true, "username": true, "prompt": true, "label": true, "hint": true, "message": true, "description": true,
}

// nameWords splits an identifier into lower-case words at every character
// that is not a letter or digit and at case changes, so DB_PASSWORD,
// db.password, dbPassword and DBPassword all give [db password].
func nameWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

func hasWord(words []string, w string) bool { return slices.Contains(words, w) }

// nameHints are the pieces of text, in lower case, of which every name
// that namedSecret can call a secret holds one: the words sensitiveKind
// looks for (password, pass, passwd and passphrase hold "pass"; api key,
// access key and private key hold "key") and those of the AWS and Azure
// cases.
var nameHints = []string{"pass", "key", "secret", "token", "credential", "auth", "azure", "storage"}

// maySayName reports whether s, a name or a line that may assign to one,
// holds one of nameHints in any case. Most names (LOG_LEVEL, PAYMENTS_URL)
// and lines hold none, and this search costs far less than splitting them
// into words or matching lineAssignRE.
func maySayName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// nameWords lowers case rune by rune, and a few runes
			// lower to ASCII letters (the Kelvin sign to k).
			lower := strings.ToLower(s)
			return slices.ContainsFunc(nameHints, func(h string) bool { return strings.Contains(lower, h) })
		}
	}
	return slices.ContainsFunc(nameHints, func(h string) bool { return containsFoldASCII(s, h) })
}

// containsFoldASCII reports whether the ASCII text s holds lower, a word of
// lower-case ASCII letters, in any case. For a letter, c|0x20 is its lower
// case, and no other byte becomes a lower-case letter.
func containsFoldASCII(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for j < len(lower) && s[i+j]|0x20 == lower[j] {
			j++
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

// An assignment is a key and value found inside a line of text.
type assignment struct{ key, value string }

var (
	// lineAssignRE matches a line that assigns a value to a key, as YAML,
	// JSON, TOML, INI, .env and shell files do: `key: value`,
	// `"key": "value",`, `key = "value"`, `export KEY=value`, `'key' => 'value'`.
	lineAssignRE = regexp.MustCompile(`^\s*(?:-\s+|export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*(?:=>|[:=])\s*(.*?)\s*[,;]?\s*$`)
	// pairRE matches key=value pairs inside a line: connection strings
	// (User=sa;Password=...), URL queries (?user=a&password=...) and command
	// lines (--password=..., -Ddb.password=...).
	pairRE = regexp.MustCompile(`(?:^|[\s;&?,])(?:-D|--?)?([A-Za-z_][\w.-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s;&,]+)`)
)

// assignments returns the key-value assignments in one line of text.
func assignments(line string) []assignment {
	// Both expressions need an "=" (lineAssignRE also takes ":"); most
	// lines have neither, and the expressions are costly.
	hasEq := strings.IndexByte(line, '=') >= 0
	if !hasEq && strings.IndexByte(line, ':') < 0 {
		return nil
	}
	var out []assignment
	if m := lineAssignRE.FindStringSubmatch(line); m != nil {
		out = append(out, assignment{m[1], assignedValue(m[2])})
	}
	if !hasEq {
		return out
	}
	for _, m := range pairRE.FindAllStringSubmatch(line, -1) {
		out = append(out, assignment{m[1], assignedValue(m[2])})
	}
	return out
}

// assignedValue returns the value of an assignment without its quotes, or
// without a trailing " # comment" when it is not quoted.
func assignedValue(v string) string {
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : 1+end]
		}
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}
