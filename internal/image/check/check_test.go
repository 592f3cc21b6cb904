package check

import (
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/rules"
)

func TestCatalogIsValid(t *testing.T) {
	if err := Validate(); err != nil {
		t.Fatal(err)
	}
	// Image check IDs share the suppression and SARIF namespace with the
	// manifest rules: they must not collide.
	for _, m := range All() {
		if rules.ByID(m.ID) != nil {
			t.Errorf("image check %s has the ID of a manifest rule", m.ID)
		}
		if _, ok := ByID(m.ID); !ok {
			t.Errorf("ByID(%s) failed", m.ID)
		}
	}
	if len(All()) < 30 {
		t.Errorf("only %d image checks", len(All()))
	}
}

func TestSecretScanner(t *testing.T) {
	s := NewSecretScanner()
	const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDh3gkWc2Bq6U9kqJm4Ju0fT3vLcJXkqz6Z3m9lY8rJ5wAAAJg2pV8sNqVf\n-----END OPENSSH PRIVATE KEY-----\n"
	tests := []struct {
		path, content, rule string
		line                int
	}{
		{"/app/.env", "# config\nAWS_ACCESS_KEY_ID=AKIAUJZDE8GXD6NCF10E\n", "secret-file-cloud-key", 2},
		{"/home/app/.ssh/id_ed25519", pem, "secret-file-private-key", 1},
		{"/app/settings.py", "DEBUG = False\nSLACK = 'xoxb-2750374938-49832749283-kdJ83jdKs92Jd8sKs02ks9A'\n", "secret-file-token", 2},
		{"/root/.docker/config.json", `{"auths":{"ghcr.io":{"auth":"dXNlcjpnaHBfc2VjcmV0"}}}`, "secret-file-registry-auth", 1},
		{"/root/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJDQ5\n", "secret-file-package-manager", 3},
		{"/root/.git-credentials", "https://bob:s3cr3tT0ken99@git.acme.internal\n", "secret-file-package-manager", 1},
		{"/etc/app/app.ini", "[db]\nhost = db\npassword = Xk9#mQ2$vL7pW4zR\n", "secret-file-password", 3},
	}
	for _, tt := range tests {
		hits := s.Scan(tt.path, []byte(tt.content))
		if len(hits) == 0 || hits[0].Rule.ID != tt.rule || hits[0].Line != tt.line {
			t.Errorf("%s: hits %+v, want %s on line %d", tt.path, hits, tt.rule, tt.line)
			continue
		}
		for _, h := range hits {
			if strings.Contains(h.Message+h.Evidence, "AKIAUJZDE8GXD6NCF10E") || strings.Contains(h.Message+h.Evidence, "Xk9#mQ2$vL7pW4zR") {
				t.Errorf("%s: hit reveals the secret: %+v", tt.path, h)
			}
		}
	}
	quiet := []struct{ path, content string }{
		{"/etc/login.defs", "# password aging\nPASS_MAX_DAYS 99999\n"},
		{"/app/config.yaml", "password: ${DB_PASSWORD}\ntoken_file: /run/secrets/token\n"},
		{"/root/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"},
		{"/root/.docker/config.json", `{"auths":{"ghcr.io":{}},"credsStore":"desktop"}`},
		{"/etc/ssl/certs/ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
		{"/app/README.md", "Set the `password` in config.yaml, see https://docs.example.com/setup.\n"},
	}
	for _, q := range quiet {
		if hits := s.Scan(q.path, []byte(q.content)); len(hits) > 0 {
			t.Errorf("%s: %+v", q.path, hits)
		}
	}
	for _, p := range []string{"/usr/share/doc/x/README", "/usr/local/go/src/crypto/tls/testdata/key.pem", "/app/node_modules/x/test.js"} {
		if !s.Skip(p) {
			t.Errorf("Skip(%s) = false", p)
		}
	}
	if s.Skip("/etc/ssl/private/server.key") {
		t.Error("private keys under /etc/ssl/private are scanned")
	}
}
