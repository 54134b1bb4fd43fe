package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// devTLSDir is where --dev-tls keeps its certificate, below the data dir.
const devTLSDir = "dev-tls"

// devCertificate returns the files of a self-signed certificate for trying
// DocuVault over HTTPS (Windows Explorer refuses Basic auth over plain HTTP):
// ECDSA P-256, valid for localhost, 127.0.0.1, ::1 and the host of listen
// when it names one. It is generated on first use and reused while it is
// valid for another day and covers those names, so a client told to trust
// it keeps trusting it across restarts. fp is its SHA-256 fingerprint.
func devCertificate(dataDir, listen string, now time.Time) (certFile, keyFile, fp string, created bool, err error) {
	dir := filepath.Join(dataDir, devTLSDir)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	dnsNames, ips := devNames(listen)
	if leaf, err := loadPair(certFile, keyFile); err == nil && reusable(leaf, dnsNames, ips, now) {
		return certFile, keyFile, fingerprint(leaf.Raw), false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return "", "", "", false, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "DocuVault development certificate", Organization: []string{"DocuVault"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", "", false, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", "", false, fmt.Errorf("create %s: %s", dir, pathErr(err))
	}
	// The key first: a certificate never sits beside a key it does not match
	// for longer than a rename.
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", "", false, err
	}
	if err := writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", "", false, err
	}
	return certFile, keyFile, fingerprint(der), true, nil
}

// devNames are the names the certificate covers.
func devNames(listen string) ([]string, []net.IP) {
	dnsNames, ips := []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsUnspecified() && !slices.ContainsFunc(ips, ip.Equal) {
			ips = append(ips, ip)
		}
	} else if host != "" && !slices.Contains(dnsNames, strings.ToLower(host)) {
		dnsNames = append(dnsNames, strings.ToLower(host))
	}
	return dnsNames, ips
}

func loadPair(certFile, keyFile string) (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(pair.Certificate[0])
}

func reusable(leaf *x509.Certificate, dnsNames []string, ips []net.IP, now time.Time) bool {
	if now.Before(leaf.NotBefore) || now.Add(24*time.Hour).After(leaf.NotAfter) {
		return false
	}
	for _, n := range dnsNames {
		if leaf.VerifyHostname(n) != nil {
			return false
		}
	}
	for _, ip := range ips {
		if leaf.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	return true
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	hexs := make([]string, len(sum))
	for i, b := range sum {
		hexs[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(hexs, ":")
}

func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
