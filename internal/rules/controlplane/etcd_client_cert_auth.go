package controlplane

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/framework"
	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
	"github.com/palisade-dev/palisade/internal/rules/internal/cmdline"
)

// EtcdClientCertAuth reports etcd servers that do not require client
// certificates on their client port.
var EtcdClientCertAuth = &rule.Rule{
	Meta: rule.Meta{
		ID:       "etcd-client-cert-auth",
		Title:    "etcd does not authenticate clients with certificates",
		Severity: rule.Critical,
		Category: rule.CategoryControlPlane,
		Doc: "etcd holds every object of the cluster, Secrets included, and access to it bypasses Kubernetes " +
			"authentication, authorization and audit: a client that reaches its client port can read or rewrite " +
			"anything. The rule flags etcd containers whose --client-cert-auth (default false) is not true, those " +
			"that check certificates but also listen on an http:// client URL (--listen-client-urls, default " +
			"http://localhost:2379), where no certificate is asked for, and --auto-tls=true without --cert-file, " +
			"which serves a self-signed certificate clients cannot verify. It reads the ETCD_* environment " +
			"variables etcd falls back on, and skips containers configured by --config-file.",
		Remediation: "Set --client-cert-auth=true and --trusted-ca-file on etcd, listen on https:// client URLs only, and serve a certificate from --cert-file and --key-file instead of --auto-tls.",
		References: []framework.Ref{
			framework.CISRef("2.2"),
			framework.CISRef("2.3"),
			framework.NSARef("etcd"),
			framework.MITRERef("T1552"),
		},
	},
	Fixable: true,
	Run: func(pass *rule.Pass) error {
		for _, cl := range commandLines(pass, cmdline.Etcd) {
			if cf := etcdLookup(cl, "config-file"); cf.value != "" || cf.from == fromUnknown {
				continue // etcd ignores its flags and environment for the file
			}
			if err := checkClientCertAuth(pass, cl); err != nil {
				return err
			}
			if err := checkAutoTLS(pass, cl); err != nil {
				return err
			}
		}
		return nil
	},
}

func checkClientCertAuth(pass *rule.Pass, cl *cmdline.CommandLine) error {
	s := etcdLookup(cl, "client-cert-auth")
	on, err := s.bool()
	if err != nil || s.from == fromUnknown {
		return err
	}
	who := rule.ContainerMessage(cl.Container)
	if !on {
		fix := func() *rule.Fix { return unsafeFix(s.fix(cl, "true"), clientCertNote) }
		pass.ReportContainer(cl.Container, s.path(cl), fix,
			"%s lets clients connect to etcd without a certificate (%s)", who, s.describe("false"))
		return nil
	}
	urls := etcdLookup(cl, "listen-client-urls")
	list := urls.value
	switch urls.from {
	case fromUnknown:
		return nil
	case fromDefault:
		list = defaultListenClientURLs
	}
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "unixs://") {
			pass.ReportContainer(cl.Container, urls.path(cl), nil,
				"%s lets clients connect to etcd at %s without a certificate: client certificates are only checked on https:// and unixs:// URLs (%s)",
				who, u, urls.describe(defaultListenClientURLs))
			return nil
		}
	}
	return nil
}

func checkAutoTLS(pass *rule.Pass, cl *cmdline.CommandLine) error {
	s := etcdLookup(cl, "auto-tls")
	on, err := s.bool()
	if err != nil || !on || etcdLookup(cl, "cert-file").value != "" || etcdLookup(cl, "key-file").value != "" {
		return err
	}
	fix := func() *rule.Fix { return unsafeFix(s.fix(cl, "false"), autoTLSNote) }
	pass.ReportContainer(cl.Container, s.path(cl), fix,
		"%s serves etcd clients a self-signed certificate that they cannot verify (%s without --cert-file)",
		rule.ContainerMessage(cl.Container), s.describe("false"))
	return nil
}

const (
	defaultListenClientURLs = "http://localhost:2379"

	clientCertNote = "etcd then rejects clients without a certificate signed by --trusted-ca-file: make sure that " +
		"flag is set and that kube-apiserver passes --etcd-certfile and --etcd-keyfile before applying."
	autoTLSNote = "Set --cert-file and --key-file to a certificate that clients trust first: without them etcd " +
		"cannot serve https:// client URLs and does not start."
)

// settingSource says where etcd takes a setting from.
type settingSource int

const (
	fromDefault settingSource = iota
	fromFlag
	fromEnv
	// fromUnknown is an environment variable set by valueFrom, or a
	// setting absent from a container whose envFrom may set it.
	fromUnknown
)

// etcdSetting is the value of an etcd setting and where it is set.
type etcdSetting struct {
	name  string
	value string
	from  settingSource
	// flag is set when from is fromFlag, envPath (the variable's value)
	// when it is fromEnv.
	flag    cmdline.Flag
	envPath object.Path
}

// etcdLookup returns an etcd setting. etcd reads a flag that is not on its
// command line from the environment variable ETCD_<NAME>; when several
// entries of env set it, the last wins.
func etcdLookup(cl *cmdline.CommandLine, name string) etcdSetting {
	if f, ok := cl.Last(name); ok {
		return etcdSetting{name: name, value: f.Value, from: fromFlag, flag: f}
	}
	c := cl.Container
	env := etcdEnvName(name)
	for i := len(c.Env) - 1; i >= 0; i-- {
		switch e := c.Env[i]; {
		case e.Name != env:
			continue
		case e.ValueFrom != nil:
			return etcdSetting{name: name, from: fromUnknown}
		default:
			return etcdSetting{name: name, value: e.Value, from: fromEnv, envPath: c.Path.Field("env").Index(i).Field("value")}
		}
	}
	if len(c.EnvFrom) > 0 {
		return etcdSetting{name: name, from: fromUnknown}
	}
	return etcdSetting{name: name}
}

// bool returns a boolean setting, false by default as for every etcd
// boolean flag.
func (s etcdSetting) bool() (bool, error) {
	switch s.from {
	case fromFlag:
		return s.flag.Bool()
	case fromEnv:
		b, err := strconv.ParseBool(s.value)
		if err != nil {
			return false, fmt.Errorf("%s: %s=%q is not a boolean", s.envPath, etcdEnvName(s.name), s.value)
		}
		return b, nil
	}
	return false, nil
}

// path returns where a finding about the setting points.
func (s etcdSetting) path(cl *cmdline.CommandLine) object.Path {
	switch s.from {
	case fromFlag:
		return s.flag.Path
	case fromEnv:
		return s.envPath
	}
	return cl.Anchor()
}

// describe says where the value comes from, for messages; def is the
// default value.
func (s etcdSetting) describe(def string) string {
	switch s.from {
	case fromFlag:
		return s.flag.String()
	case fromEnv:
		return "environment variable " + etcdEnvName(s.name) + "=" + s.value
	}
	return "--" + s.name + " is not set and defaults to " + def
}

// fix returns a patch that sets the setting to value where it is set, or
// adds the flag.
func (s etcdSetting) fix(cl *cmdline.CommandLine, value string) []rule.PatchOp {
	switch s.from {
	case fromFlag:
		return cmdline.Rewrite(s.flag, value)
	case fromEnv:
		return []rule.PatchOp{rule.Set(s.envPath, value)}
	}
	return cl.AppendFix("--" + s.name + "=" + value)
}

// etcdEnvName returns the environment variable etcd reads a flag from:
// ETCD_ and the flag name in upper case with underscores.
func etcdEnvName(flag string) string {
	return "ETCD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
