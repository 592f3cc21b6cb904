package secretscan

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The credentials below are random strings in the right formats; none of
// them was ever issued.
const (
	fakeAWSKeyID     = "AKIAUJZDE8GXD6NCF10E"
	fakeAWSSecret    = "spNxnyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS"
	fakeGitHubPAT    = "ghp_MFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh"
	fakeAzureKey     = "Qotr1SEP6L1a5XWpldDnhGvT6uCAIYgmhoIE33DGLpsBxswmLCR5nrkejg9TroSHjnvIxhvijw4/MEYKxRmBcw=="
	fakeJWT          = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtcmVwb3J0IiwiaWF0IjoxNzM1Njg5NjAwfQ.z5r1pY4OjE2jBMptUsGr7CmY-uCu3ZR1zTOlUcR64cX"
	fakePEMBody      = "VISfS4P1EBz868k6+OAaFUNFCufHLkXBIdFs2emt0fJCZyaJ64OSfrNTFkcOzLAubOUSRPAEohbNQhWb2zgRQ9wfdAJW/o1q7epEnyELhrU98Bz4KUMMLjPuT6BOh8I0"
	fakeRandomToken  = "sCGRlrwZbqcabUGJmGEp7CgQ0PBQFI14"
	fakeHexToken     = "c967a64cb14028d512c9791e558e08ba"
	fakePEM          = "-----BEGIN RSA PRIVATE KEY-----\n" + fakePEMBody + "\n-----END RSA PRIVATE KEY-----\n"
	fakeGCPKeyFile   = `{"type": "service_account", "project_id": "shop", "private_key_id": "c967a64c", "private_key": "-----BEGIN PRIVATE KEY-----\n` + fakePEMBody + `\n-----END PRIVATE KEY-----\n", "client_email": "report@shop.iam.gserviceaccount.com"}`
	fakeJWTUnsigned  = "eyJhbGciOiAibm9uZSJ9.eyJzdWIiOiJzdmMtcmVwb3J0IiwiaWF0IjoxNzM1Njg5NjAwfQ."
	fakeStorageConns = "DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=" + fakeAzureKey + ";EndpointSuffix=core.windows.net"
)

// TestFormatDetectors checks the detectors that recognize a credential by
// its shape, under a name that says nothing.
func TestFormatDetectors(t *testing.T) {
	tests := []struct {
		value      string
		kind       string
		secretHead string // the start of the secret the detector extracted
	}{
		{fakeAWSKeyID, "an AWS access key ID", "AKIA"},
		{"ASIAPF91DHODZDOC9IS0", "an AWS access key ID", "ASIA"},
		{"--key " + fakeAWSKeyID + " --region eu-west-1", "an AWS access key ID", "AKIA"},
		{fakeGitHubPAT, "a GitHub token", "ghp_"},
		{"ghs_FdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojf", "a GitHub token", "ghs_"},
		{"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", "a GitHub token", "github_pat_"},
		{"glpat-po_799NksnRH9ucAUsdM", "a GitLab token", "glpat-"},
		{"xoxb-148525388853-9336338750047-qmSM9wCZ7Uw9xfogoEmvnEN5", "a Slack token", "xoxb-"},
		{"sk_live_N1aE6PwZPf1Qh6yYTWmE4lBY", "a Stripe live key", "sk_live_"},
		{"rk_live_OvfZ8UzDzV8fUkkibjL5DZPj", "a Stripe live key", "rk_live_"},
		{"npm_N0MEQ7wjJJibaZUPgHV7iB3m03nbqnsGpWLu", "an npm token", "npm_"},
		{fakeStorageConns, "an Azure storage account key", "Qotr"},
		{"Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=jwfC5OkQcVOc+YGbgzOxRnOCiM56gfE/soXg4PHtQuw=", "an Azure shared access key", "jwfC"},
		{fakeJWT, "a JWT", "eyJh"},
		{"Bearer " + fakeJWT, "a JWT", "eyJh"},
		{fakePEM, "a PEM private key", "VISf"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\n" + fakePEMBody, "a PEM private key", "VISf"},
		{"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + fakePEMBody + "\n-----END ENCRYPTED PRIVATE KEY-----", "a PEM private key", "VISf"},
		{"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + fakePEMBody, "a PEM private key", "VISf"},
		{fakeGCPKeyFile, "a GCP service account key", "VISf"},
		{"client-key-data: " + base64.StdEncoding.EncodeToString([]byte(fakePEM)), "a base64-encoded PEM private key", "LS0t"},
		{"postgres://app:Xk29-fQp7@db.shop.svc:5432/orders", "a URL with an embedded password", "Xk"},
		{"redis://:hunter22@redis-master:6379/0", "a URL with an embedded password", "hu"},
		{"amqp://guest:guest@rabbitmq", "a URL with an embedded password", "g"},
	}
	for _, tt := range tests {
		got := Scan("VALUE", tt.value)
		if len(got) != 1 || got[0].Kind != tt.kind || !strings.HasPrefix(got[0].Secret, tt.secretHead) {
			t.Errorf("Scan(%q) = %+v, want one %s starting %q", tt.value, got, tt.kind, tt.secretHead)
		}
	}
}

// TestNotCredentials lists values that look a little like credentials and
// must not be reported, whatever the name.
func TestNotCredentials(t *testing.T) {
	for _, value := range []string{
		"AKIAIOSFODNN7EXAMPLE",                      // AWS's documentation key
		"AKIAUJZDE8GXD6NCF10EX",                     // one character too many
		"ghp_short",                                 // truncated
		"sk_test_N1aE6PwZPf1Qh6yYTWmE4lBY",          // Stripe test mode
		"xoxb-your-token-here",                      // placeholder
		fakeJWTUnsigned,                             // alg none, no signature
		"api.shop.example.internal.svc",             // dotted, but not base64 JSON
		"release-2024.01.15-hotfix.candidate-build", // three dotted segments
		"-----BEGIN PRIVATE KEY-----",               // a header without a key
		"-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
		"-----BEGIN CERTIFICATE-----\n" + fakePEMBody + "\n-----END CERTIFICATE-----", // public
		"-----BEGIN PUBLIC KEY-----\n" + fakePEMBody + "\n-----END PUBLIC KEY-----",
		"client-certificate-data: " + base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\n"+fakePEMBody+"\n-----END CERTIFICATE-----\n")),
		`{"type": "authorized_user", "client_id": "x"}`,
		"https://grafana.shop.svc:3000/login",
		"postgres://app@db:5432/orders",                                    // user, no password
		"postgres://app:$(DB_PASSWORD)@db:5432/orders",                     // Kubernetes expands it
		"postgres://app:${DB_PASSWORD}@db:5432/orders",                     // envsubst, Helm
		"postgres://app:<password>@db:5432/orders",                         // documentation
		"postgres://app:hunter22@db.example.com:5432/app",                  // RFC 2606 domain
		"mysql://root:secret@mysql.test/app",                               // RFC 2606 TLD
		"https://user:****@registry.shop.io",                               // masked
		"DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=<key>", // placeholder
	} {
		if got := Scan("VALUE", value); len(got) > 0 {
			t.Errorf("Scan(%q) = %+v, want nothing", value, got)
		}
	}
}

// TestNamedValues checks environment-style assignments where the name decides.
func TestNamedValues(t *testing.T) {
	flagged := []struct{ name, value, kind string }{
		{"DB_PASSWORD", "hunter22", "a password"},
		{"POSTGRES_PASSWORD", "Xk29-fQp7wLm", "a password"},
		{"MYSQL_ROOT_PASSWORD", "changeme", "the well-known weak password"},
		{"ADMIN_PASSWORD", "admin", "the well-known weak password"},
		{"REDIS_PASS", "123456", "the well-known weak password"},
		{"dbPassword", "s3cr3t-Pass", "a password"},
		{"SMTP_PASSWD", "'Sup3rS3cret!'", "a password"},
		{"GPG_PASSPHRASE", fakeRandomToken, "a password"},
		{"API_KEY", fakeHexToken, "an API key"},
		{"apiKey", fakeRandomToken, "an API key"},
		{"STRIPE_APIKEY", fakeRandomToken, "an API key"},
		{"ACCESS_KEY", fakeRandomToken, "an access key"},
		{"PRIVATE_KEY", fakeRandomToken, "a private key"},
		{"CLIENT_SECRET", fakeRandomToken, "a secret"},
		{"JWT_SECRET", "secret", "the well-known weak password"},
		{"SECRET_KEY_BASE", fakeHexToken + fakeHexToken, "a secret"},
		{"SESSION_TOKEN", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "a token"},
		{"slackBotToken", fakeRandomToken, "a token"},
		{"GOOGLE_CREDENTIALS", fakeRandomToken, "a credential"},
		{"CLIENT_CREDENTIAL", fakeRandomToken, "a credential"},
		{"REDIS_AUTH", fakeRandomToken, "an authentication secret"},
		{"AUTH", "Basic dXNlcjpwYXNzd29yZA==", "an authentication secret"},
		{"AWS_SECRET_ACCESS_KEY", fakeAWSSecret, "an AWS secret access key"},
		{"aws_secret_access_key", fakeAWSSecret, "an AWS secret access key"},
		{"AZURE_STORAGE_KEY", fakeAzureKey, "an Azure storage account key"},
		{"GITHUB_TOKEN", fakeGitHubPAT, "a GitHub token"},
		// A format detector does not need a telling name.
		{"OPTIONS", "--token=" + fakeGitHubPAT, "a GitHub token"},
	}
	for _, tt := range flagged {
		got := Scan(tt.name, tt.value)
		if len(got) != 1 || got[0].Kind != tt.kind {
			t.Errorf("Scan(%s=%q) = %+v, want %s", tt.name, tt.value, got, tt.kind)
		}
	}

	notFlagged := []struct{ name, value string }{
		// The name qualifies the secret rather than holding it.
		{"PASSWORD_FILE", "/run/secrets/db"},
		{"TOKEN_TTL", "3600"},
		{"SECRET_NAME", "my-secret"},
		{"AUTH_ENABLED", "true"},
		{"API_KEY_HEADER", "X-Api-Key"},
		{"AWS_ACCESS_KEY_ID", "from-instance-profile"},
		{"TOKEN_ENDPOINT", "https://auth.shop.io/oauth/token"},
		{"PASSWORD_MIN_LENGTH", "12"},
		{"passwordPolicy", "Strict-Upper-Lower-Digit-1"},
		{"secretRef", "db-credentials"},
		{"OIDC_CLIENT_SECRET_PATH", "/etc/oidc/secret"},
		{"AUTH_TYPE", "oauth2-proxy"},
		{"TOKEN_AUDIENCE", "api.shop.io/v1"},
		{"PASSWORD_PROMPT", "Enter your password:"},
		{"auth-response-headers", "X-Auth-Request-User, X-Auth-Request-Email"},
		// The value says it is not a secret.
		{"DB_PASSWORD", ""},
		{"DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"},
		{"DB_PASSWORD", "${DB_PASSWORD}"},
		{"basicAuthPassword", "$PROM_PASSWORD"},
		{"clientSecret", "$oidc.okta.clientSecret"},
		{"DB_PASSWORD", "{{ .Values.db.password }}"},
		{"DB_PASSWORD", "<password>"},
		{"DB_PASSWORD", "xxx"},
		{"DB_PASSWORD", "********"},
		{"DB_PASSWORD", "REPLACE_ME"},
		{"DB_PASSWORD", "example"},
		{"DB_PASSWORD", "your-password-here"},
		{"DB_PASSWORD", "none"},
		{"TOKEN", "3600"},
		{"TOKEN_REFRESH", "15m"},
		{"SECRET", "/var/run/secrets/app"},
		{"AUTH", "false"},
		{"AUTH", "basic"},
		{"AUTH_SECRET", "auth-system/oidc-client"},
		{"AUTH_URL", "https://login.shop.io"},
		{"CREDENTIALS", "./credentials.json"},
		{"TOKEN", "kubernetes"},
		{"SECRET", "production"},
		{"PASSWORD", "postgres"},
		// Words that only contain a sensitive substring.
		{"AUTHOR", "Jane Q. Public-Smith 2024"},
		{"BYPASS_CACHE", "f47ac10b-58cc-4372"},
		{"PASSENGER_COUNT", "Xk29-fQp7wLm"},
		{"OAUTH_PROVIDER_LIST", "github,google,gitlab"},
		{"CACHE_KEY", fakeRandomToken},
	}
	for _, tt := range notFlagged {
		if got := Scan(tt.name, tt.value); len(got) > 0 {
			t.Errorf("Scan(%s=%q) = %+v, want nothing", tt.name, tt.value, got)
		}
	}
}

// TestEmbeddedFiles checks multi-line values: each line is searched for
// assignments of its own, and findings carry the line and the bare secret
// (no quotes, no trailing comment).
func TestEmbeddedFiles(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string // line:secret
	}{
		{"app.properties", "server.port=8080\nspring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.password=hunter22\nspring.datasource.password.file=/etc/db/password\n", []string{"3:hunter22"}},
		{"config.yaml", "database:\n  host: db\n  password: \"Xk29-fQp7wLm\" # rotated quarterly\n  passwordFile: /etc/db/pw\nslack:\n  token: " + fakeRandomToken + " # bot\n", []string{"3:Xk29-fQp7wLm", "6:" + fakeRandomToken}},
		{"settings.json", "{\n  \"apiKey\": \"" + fakeHexToken + "\",\n  \"apiKeyHeader\": \"X-Api-Key\",\n  \"timeout\": 30\n}\n", []string{"2:" + fakeHexToken}},
		{"credentials", "[default]\naws_access_key_id = " + fakeAWSKeyID + "\naws_secret_access_key = " + fakeAWSSecret + "\n", []string{"2:" + fakeAWSKeyID, "3:" + fakeAWSSecret}},
		{"app.env", "export DB_USER=app\nexport DB_PASSWORD='s3cr3t-Pass'\nexport DB_PASSWORD_FILE=/run/secrets/db\n", []string{"2:s3cr3t-Pass"}},
		{"appsettings.conf", "ConnectionStrings__Db=Server=db;Database=shop;User Id=sa;Password=Xk29-fQp7wLm;\n", []string{"1:Xk29-fQp7wLm"}},
		{"jvm.options", "-Xmx512m\n-Djavax.net.ssl.keyStorePassword=Xk29-fQp7wLm\n", []string{"2:Xk29-fQp7wLm"}},
		{"config.php", "<?php return [\n  'db_password' => 'Xk29-fQp7wLm',\n];\n", []string{"2:Xk29-fQp7wLm"}},
		{"values.yaml", "users:\n  - password: Xk29-fQp7wLm\n", []string{"2:Xk29-fQp7wLm"}},
		{"key.json", strings.ReplaceAll(fakeGCPKeyFile, ", ", ",\n  "), []string{"4:" + fakePEMBody}},
		{"tls.key", fakePEM, []string{"1:" + fakePEMBody}},
		{"grafana.ini", "[security]\nadmin_user = admin\nadmin_password = admin\ndisable_gravatar = true\n", []string{"3:admin"}},
		{"nginx.conf", "server {\n  listen 8080;\n  location / { proxy_pass http://app:8080; }\n}\n", nil},
		{"prometheus.yml", "scrape_configs:\n  - job_name: api\n    bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token\n    basic_auth:\n      username: prom\n      password_file: /etc/prom/password\n", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range Scan(tt.name, tt.value) {
			got = append(got, fmt.Sprintf("%d:%s", c.Line, c.Secret))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Scan(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{fakeAWSKeyID, `"AKIA…" (20 chars)`},
		{fakeGitHubPAT, `"ghp_…" (40 chars)`},
		{"hunter22", `"hu…" (8 chars)`},
		{"s3cr3t-Pass", `"s3…" (11 chars)`},
		{"abc", `"…" (3 chars)`},
		{"pässwörtchen", `"päs…" (12 chars)`},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestMessagesNeverHoldSecrets makes sure no detector hands a message more
// than the masked head of what it found.
func TestMessagesNeverHoldSecrets(t *testing.T) {
	for _, v := range []string{fakeAWSKeyID, fakeGitHubPAT, fakeJWT, fakePEM, fakeGCPKeyFile, fakeStorageConns, "postgres://app:Xk29-fQp7@db/x"} {
		for _, c := range Scan("VALUE", v) {
			if d := c.Describe(); strings.Contains(d, c.Secret) || strings.Contains(d, c.Secret[4:]) {
				t.Errorf("describe() = %q reveals the secret", d)
			}
		}
	}
}

func TestNameWords(t *testing.T) {
	tests := map[string][]string{
		"DB_PASSWORD":         {"db", "password"},
		"db.password":         {"db", "password"},
		"dbPassword":          {"db", "password"},
		"DBPassword":          {"db", "password"},
		"apiKeyHeader":        {"api", "key", "header"},
		"X-Api-Key":           {"x", "api", "key"},
		"oauth2Token":         {"oauth2", "token"},
		"SECRET_KEY_BASE":     {"secret", "key", "base"},
		"__weird--name__":     {"weird", "name"},
		"spring.datasource.p": {"spring", "datasource", "p"},
	}
	for in, want := range tests {
		if got := nameWords(in); !slices.Equal(got, want) {
			t.Errorf("nameWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEntropy(t *testing.T) {
	for s, want := range map[string]float64{"": 0, "aaaa": 0, "abab": 1, "abcd": 2, "abcdefgh": 3} {
		if got := entropy(s); got != want {
			t.Errorf("entropy(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestDetectorNeeds checks the text each detector needs before its
// expression runs: on random strings built from pieces of real secrets,
// whenever a detector finds something, the string holds one of its needs.
// A wrong need would make Scan miss that secret.
func TestDetectorNeeds(t *testing.T) {
	pieces := []string{
		"AKIA", "ASIA", "ghp_", "gho_", "github_pat_", "glpat-", "xoxb-", "sk_live_", "rk_live_", "npm_",
		"AccountKey=", "accountkey=", "SharedAccessKey=", "eyJhbGciOiJIUzI1NiJ9", ".", "://", "user:", "@", "host",
		`"type": "service_account"`, `"private_key": "`, "-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----",
		"-----END PRIVATE KEY-----", "LS0tLS1CRUdJTi", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", `\n`, "\n", "=", "==", " ",
		"ABCDEFGHIJKLMNOP", "abcdefghijklmnopqrstuvwxyz0123456789", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", "_", "-", "/", "+",
	}
	r := rand.New(rand.NewPCG(5, 6))
	found := 0
	for range 50000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		for _, d := range detectors {
			if len(d.find(s)) > 0 {
				found++
				if !containsAny(s, d.needs) {
					t.Fatalf("%s found in %q, which holds none of %q", d.kind, s, d.needs)
				}
			}
		}
		if (lineAssignRE.MatchString(s) || pairRE.MatchString(s)) && !strings.ContainsAny(s, "=:") {
			t.Fatalf("an assignment found in %q, which has no = or :", s)
		}
	}
	if found < 1000 {
		t.Errorf("only %d detections in the random strings: the test checks too little", found)
	}
}

// secretValues are values that namedSecret reports under a name that says
// it holds a secret, one for each of its cases.
var secretValues = []string{fakeRandomToken, fakeAWSSecret, fakeAzureKey, "changeme", "hunter22"}

// nameHintHolds fails t when namedSecret reports a secret under a name in
// which maySayName finds no hint: Scan would then miss it.
func nameHintHolds(t *testing.T, name string) bool {
	t.Helper()
	for _, v := range secretValues {
		if _, ok := namedSecret(name, v); ok {
			if !maySayName(name) {
				t.Fatalf("namedSecret reports %q under %q, in which maySayName finds no hint", v, name)
			}
			return true
		}
	}
	return false
}

// TestNameHints checks the text every secret-holding name must contain
// before Scan splits it into words: on random names built from the words
// sensitiveKind and namedSecret know, in every case and with every
// separator, whenever namedSecret reports a secret, maySayName is true.
// It also checks maySayName against its plain definition.
func TestNameHints(t *testing.T) {
	words := []string{
		"password", "Password", "PASS", "passwd", "Passphrase", "api", "Key", "KEY", "apikey", "access", "private",
		"secret", "Secret", "token", "TOKEN", "credential", "Credentials", "auth", "AUTH", "aws", "azure", "Storage",
		"db", "client", "url", "file", "name", "ttl", "x", "2", "\u212aey", "ToKen", "PaSsWoRd",
	}
	seps := []string{"", "_", ".", "-", " ", "=", ": "}
	r := rand.New(rand.NewPCG(7, 8))
	found := 0
	for range 50000 {
		var b strings.Builder
		for i := range 1 + r.IntN(4) {
			if i > 0 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		name := b.String()
		if nameHintHolds(t, name) {
			found++
		}
		lower := strings.ToLower(name)
		want := slices.ContainsFunc(nameHints, func(h string) bool { return strings.Contains(lower, h) })
		if got := maySayName(name); got != want {
			t.Fatalf("maySayName(%q) = %v, want %v", name, got, want)
		}
	}
	if found < 5000 {
		t.Errorf("only %d secret names among the random ones: the test checks too little", found)
	}
}

// FuzzMaySayName holds maySayName to its definition (a hint in the
// lower-cased text) and to namedSecret (no secret under a name without a
// hint), for arbitrary names.
func FuzzMaySayName(f *testing.F) {
	for _, s := range []string{"DB_PASSWORD", "LOG_LEVEL", "clientSecret", "\u212aEY", "api.key", "x-auth", "Ω"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		nameHintHolds(t, name)
		lower := strings.ToLower(name)
		want := slices.ContainsFunc(nameHints, func(h string) bool { return strings.Contains(lower, h) })
		if got := maySayName(name); got != want {
			t.Fatalf("maySayName(%q) = %v, want %v", name, got, want)
		}
	})
}

// BenchmarkScanEnv scans environment variables as workloads set them:
// mostly settings, URLs and paths, with the odd credential.
func BenchmarkScanEnv(b *testing.B) {
	env := [][2]string{
		{"LOG_LEVEL", "info"}, {"PAYMENTS_URL", "http://payments.shop.svc:8080"}, {"JAVA_OPTS", "-Xmx512m -Dlog.level=info"},
		{"DATABASE_HOST", "orders-db.shop.svc.cluster.local"}, {"CONFIG_PATH", "/etc/checkout/config.yaml"}, {"PORT", "8080"},
		{"REDIS_URL", "redis://cache.shop.svc:6379/0"}, {"FEATURE_FLAGS", "new-cart=true,express-checkout=false"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability:4317"}, {"DB_PASSWORD", "hunter22"},
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range env {
			Scan(e[0], e[1])
		}
	}
}

// jwtShape is the expression jwtSpans stands for.
var jwtShape = regexp.MustCompile(`[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// FuzzJWTSpans holds jwtSpans to the expression it replaces: the same
// spans, in the same order, for any text.
func FuzzJWTSpans(f *testing.F) {
	for _, s := range []string{
		fakeJWT, fakeJWTUnsigned, "Bearer " + fakeJWT + " and " + fakeJWT, "payments.shop.svc.cluster.local",
		"abcdefgh.abcdefgh.abcdefgh", "abcdefgh.abcdefg.abcdefgh.abcdefgh.abcdefgh", "abcdefgh..abcdefgh.abcdefgh",
		"x.abcdefgh.abcdefgh.abcdefgh.", "é" + fakeJWT + "\xff", "abcdefgh.abcdefgh.abcdefgh.abcdefgh.abcdefgh.abcdefgh",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want [][2]int
		for _, m := range jwtShape.FindAllStringIndex(s, -1) {
			want = append(want, [2]int{m[0], m[1]})
		}
		if got := jwtSpans(s); !slices.Equal(got, want) {
			t.Fatalf("jwtSpans(%q) = %v, the expression finds %v", s, got, want)
		}
	})
}
