package cli

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/palisade-dev/palisade/internal/deploy"
)

type webhookManifestsFlags struct {
	output        string
	namespace     string
	image         string
	replicas      int32
	failurePolicy string
	timeout       time.Duration
	mutating      bool
	certDir       string
	validity      time.Duration
	caValidity    time.Duration
}

// newWebhookManifestsCommand returns `palisade webhook manifests`, which
// prints the objects that install the admission webhook.
func newWebhookManifestsCommand(e *env) *cobra.Command {
	var f webhookManifestsFlags
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the manifests that install the admission webhook",
		Long: `Print ready-to-apply manifests for the admission webhook: namespace, service account and
RBAC (get, list and watch namespaces), policy ConfigMap, Deployment, PodDisruptionBudget,
Service, NetworkPolicies, a TLS Secret and the ValidatingWebhookConfiguration (with
--mutating, also the MutatingWebhookConfiguration), every object passing Palisade's own scan.

The TLS Secret holds a CA and a serving certificate for the webhook's Service, generated
afresh (ECDSA P-256) and inlined as caBundle in the webhook configurations; the CA's key is
not kept, so renewing means running the command again. With --cert-dir, ca.crt, tls.crt and
tls.key are read from that directory when it has them (so that re-running gives the same
certificate), and written there otherwise. The output contains the private key: write it
with --output (mode 0600) or pipe it straight to kubectl apply -f -.

For cert-manager or GitOps, use the kustomize base deploy/webhook or the Helm chart
deploy/helm/palisade-webhook instead.`,
		Example: `  palisade webhook manifests | kubectl apply -f -
  palisade webhook manifests --mutating --cert-dir ./webhook-certs -o webhook.yaml
  palisade webhook manifests --image ghcr.io/palisade-dev/palisade:v1.2.3@sha256:... --replicas 3`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("manifests takes no arguments, got %q", args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWebhookManifests(e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.output, "output", "", "write the manifests to `FILE` (mode 0600) instead of standard output")
	fl.StringVar(&f.namespace, "namespace", deploy.DefaultNamespace, "`NAMESPACE` to install into; the webhooks never see it or kube-system")
	fl.StringVar(&f.image, "image", deploy.DefaultImage(Version()), "container `IMAGE`; name:tag@sha256:digest pins it")
	fl.Int32Var(&f.replicas, "replicas", deploy.DefaultReplicas, "number of webhook replicas")
	fl.StringVar(&f.failurePolicy, "failure-policy", string(admissionregistrationv1.Fail), "what the API server does when the webhook cannot answer: Fail (reject) or Ignore (admit)")
	fl.DurationVar(&f.timeout, "timeout", deploy.DefaultTimeoutSeconds*time.Second, "how long the API server waits for the webhook, in whole seconds from 1s to 30s")
	fl.BoolVar(&f.mutating, "mutating", false, "also register the mutating webhook")
	fl.StringVar(&f.certDir, "cert-dir", "", "`DIR` to read ca.crt, tls.crt and tls.key from, or to write newly generated ones to")
	fl.DurationVar(&f.validity, "cert-validity", 365*24*time.Hour, "validity of a newly generated serving certificate")
	fl.DurationVar(&f.caValidity, "ca-validity", 10*365*24*time.Hour, "validity of a newly generated CA")
	return cmd
}

func runWebhookManifests(e *env, f webhookManifestsFlags) error {
	opts := deploy.Options{
		Namespace:     f.namespace,
		Image:         f.image,
		Replicas:      f.replicas,
		FailurePolicy: admissionregistrationv1.FailurePolicyType(f.failurePolicy),
		Mutating:      f.mutating,
	}
	if f.timeout%time.Second != 0 || f.timeout < time.Second || f.timeout > 30*time.Second {
		return usageError{fmt.Errorf("--timeout must be whole seconds from 1s to 30s, not %s", f.timeout)}
	}
	opts.TimeoutSeconds = int32(f.timeout / time.Second)
	if f.replicas < 1 {
		return usageError{fmt.Errorf("--replicas must be at least 1, not %d", f.replicas)}
	}
	switch opts.FailurePolicy {
	case admissionregistrationv1.Fail, admissionregistrationv1.Ignore:
	default:
		return usageError{fmt.Errorf("--failure-policy must be Fail or Ignore, not %q", f.failurePolicy)}
	}
	if f.validity <= 0 || f.caValidity <= 0 {
		return usageError{fmt.Errorf("--cert-validity and --ca-validity must be positive")}
	}
	if f.namespace == "" {
		return usageError{fmt.Errorf("--namespace must not be empty")}
	}

	bundle, err := webhookCerts(f, deploy.DNSNames(deploy.Name, f.namespace))
	if err != nil {
		return err
	}
	opts.TLS.Bundle = bundle
	objs, err := deploy.Objects(opts)
	if err != nil {
		return usageError{err}
	}
	var b bytes.Buffer
	if err := deploy.WriteYAML(&b, objs); err != nil {
		return err
	}
	if f.output == "" || f.output == "-" {
		_, err := e.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(f.output, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing the manifests: %w", err)
	}
	return nil
}

// webhookCerts returns the TLS material for the webhook's service names:
// the certificate directory's when it has one, which must be valid for
// those names now, or a new one, written to the directory if one is given.
func webhookCerts(f webhookManifestsFlags, names []string) (*deploy.Bundle, error) {
	t := now()
	if f.certDir != "" {
		b, err := deploy.LoadCertDir(f.certDir)
		if err != nil {
			return nil, usageError{fmt.Errorf("--cert-dir: %w", err)}
		}
		if b != nil {
			if err := b.Verify(names, t); err != nil {
				return nil, usageError{fmt.Errorf("--cert-dir %s: %w (remove the files to generate new ones)", f.certDir, err)}
			}
			return b, nil
		}
	}
	b, err := deploy.GenerateCerts(deploy.CertOptions{DNSNames: names, Now: t, CAValidity: f.caValidity, Validity: f.validity})
	if err != nil {
		return nil, err
	}
	if f.certDir != "" {
		if err := deploy.WriteCertDir(f.certDir, b); err != nil {
			return nil, fmt.Errorf("--cert-dir: %w", err)
		}
	}
	return b, nil
}
