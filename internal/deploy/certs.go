package deploy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Bundle is the TLS material of a webhook, PEM-encoded.
type Bundle struct {
	// CA holds the certificate(s) that sign Cert: the webhook
	// configurations' caBundle and the Secret's ca.crt.
	CA []byte
	// Cert is the serving certificate, optionally followed by
	// intermediates.
	Cert []byte
	// Key is the serving certificate's private key.
	Key []byte
}

// Files of a certificate directory (--cert-dir), named as in the Secret.
const (
	CAFile   = "ca.crt"
	CertFile = "tls.crt"
	KeyFile  = "tls.key"
)

// DNSNames are the names the serving certificate must cover for the
// API server to reach service in namespace.
func DNSNames(service, namespace string) []string {
	return []string{
		service + "." + namespace + ".svc",
		service + "." + namespace + ".svc.cluster.local",
	}
}

// CertOptions control GenerateCerts.
type CertOptions struct {
	// DNSNames and IPAddresses are what the serving certificate covers;
	// at least one is required. The first DNS name (or address) is also
	// the common name. Addresses serve webhooks registered by URL, as the
	// tests and benchmarks register theirs on loopback.
	DNSNames    []string
	IPAddresses []net.IP
	// Now is the start of the validity; certificates are valid from five
	// minutes before it, to allow for clock skew.
	Now time.Time
	// CAValidity and Validity are how long the CA and the serving
	// certificate are valid; both must be positive. The serving
	// certificate never outlives its CA.
	CAValidity, Validity time.Duration
}

// clockSkew is how long before Now certificates become valid.
const clockSkew = 5 * time.Minute

// GenerateCerts creates a CA and a serving certificate it signs, both with
// ECDSA P-256 keys. The CA's private key is discarded: nothing else can
// ever be signed with it, and renewing means generating a new bundle.
func GenerateCerts(o CertOptions) (*Bundle, error) {
	if len(o.DNSNames) == 0 && len(o.IPAddresses) == 0 {
		return nil, errors.New("no DNS names or addresses for the serving certificate")
	}
	cn := ""
	if len(o.DNSNames) > 0 {
		cn = o.DNSNames[0]
	} else {
		cn = o.IPAddresses[0].String()
	}
	if o.CAValidity <= 0 || o.Validity <= 0 {
		return nil, fmt.Errorf("validity must be positive (CA %s, certificate %s)", o.CAValidity, o.Validity)
	}
	start := o.Now.Add(-clockSkew)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caSerial, err := serial()
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: "palisade-webhook-ca", Organization: []string{"Palisade"}},
		NotBefore:             start,
		NotAfter:              o.Now.Add(o.CAValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafSerial, err := serial()
	if err != nil {
		return nil, err
	}
	notAfter := o.Now.Add(o.Validity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	leafTmpl := &x509.Certificate{
		SerialNumber:          leafSerial,
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPAddresses,
		NotBefore:             start,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("creating the serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Bundle{
		CA:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// serial returns a random 128-bit certificate serial number.
func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

// Verify checks that the serving certificate chains to the CA for every
// name in dnsNames at time now, is meant for TLS servers, and matches the
// key.
func (b *Bundle) Verify(dnsNames []string, now time.Time) error {
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		return fmt.Errorf("serving certificate and key: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b.CA) {
		return errors.New("the CA holds no PEM certificate")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		inter.AddCert(c)
	}
	var errs []error
	for _, name := range dnsNames {
		_, err := leaf.Verify(x509.VerifyOptions{
			DNSName: name, Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("serving certificate for %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// NotAfter returns when the serving certificate expires.
func (b *Bundle) NotAfter() (time.Time, error) {
	blk, _ := pem.Decode(b.Cert)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return time.Time{}, errors.New("the serving certificate is not PEM")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return time.Time{}, err
	}
	return c.NotAfter, nil
}

// LoadCertDir reads ca.crt, tls.crt and tls.key from dir. It returns nil
// and no error when none of them exists, and an error when only some do,
// or a file cannot be read.
func LoadCertDir(dir string) (*Bundle, error) {
	var b Bundle
	files := []struct {
		name string
		dst  *[]byte
	}{{CAFile, &b.CA}, {CertFile, &b.Cert}, {KeyFile, &b.Key}}
	var found, missing []string
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, f.name)
		case err != nil:
			return nil, err
		default:
			*f.dst = data
			found = append(found, f.name)
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(missing) > 0:
		return nil, fmt.Errorf("%s holds %v but not %v: give it all three files or none", dir, found, missing)
	}
	return &b, nil
}

// WriteCertDir writes b to dir as ca.crt, tls.crt and tls.key, creating
// dir (mode 0700) if needed. The key is written with mode 0600. It never
// overwrites a file.
func WriteCertDir(dir string, b *Bundle) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode fs.FileMode
	}{{CAFile, b.CA, 0o644}, {CertFile, b.Cert, 0o644}, {KeyFile, b.Key, 0o600}} {
		if err := writeNew(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

func writeNew(name string, data []byte, mode fs.FileMode) (err error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode) //nolint:gosec // the path is the user's --cert-dir
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = bytes.NewReader(data).WriteTo(f)
	return err
}
