package client

import (
	"crypto/x509"
	"errors"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Chain engine flags x/sys/windows does not define (wincrypt.h).
const (
	chainRevocationCheckChainExcludeRoot = 0x40000000 // CERT_CHAIN_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT
	chainRevocationAccumulativeTimeout   = 0x08000000 // CERT_CHAIN_REVOCATION_ACCUMULATIVE_TIMEOUT
	// urlTimeout bounds the OS's own AIA, CRL and OCSP fetches, in ms.
	urlTimeout = 15000
)

var serverAuthOID = []byte("1.3.6.1.5.5.7.3.1\x00")

// OSVerify asks Windows' chain engine about the chain presented[0]
// (the leaf) with the other presented certificates as extra store, for
// server authentication of host at the instant at: CertGetCertificateChain
// with revocation checked for the chain but the root (as Schannel clients
// ask for it, the OS fetching within 15 s in all), then
// CertVerifyCertificateChainPolicy with the SSL policy and the server name.
func OSVerify(presented []*x509.Certificate, host string, at time.Time) OSAnswer {
	a := OSAnswer{Checked: true}
	if len(presented) == 0 {
		a.Err = errors.New("no certificate")
		return a
	}
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_MEMORY, 0, 0, windows.CERT_STORE_DEFER_CLOSE_UNTIL_LAST_FREE_FLAG, 0)
	if err != nil {
		a.Err = err
		return a
	}
	defer windows.CertCloseStore(store, 0)
	var leaf *windows.CertContext
	for i, c := range presented {
		ctx, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &c.Raw[0], uint32(len(c.Raw)))
		if err != nil {
			a.Err = err
			return a
		}
		var added *windows.CertContext
		out := (**windows.CertContext)(nil)
		if i == 0 {
			out = &added
		}
		err = windows.CertAddCertificateContextToStore(store, ctx, windows.CERT_STORE_ADD_ALWAYS, out)
		windows.CertFreeCertificateContext(ctx)
		if err != nil {
			a.Err = err
			return a
		}
		if i == 0 {
			leaf = added
		}
	}
	defer windows.CertFreeCertificateContext(leaf)

	para := &windows.CertChainPara{URLRetrievalTimeout: urlTimeout}
	para.Size = uint32(unsafe.Sizeof(*para))
	oids := []*byte{&serverAuthOID[0]}
	para.RequestedUsage.Type = windows.USAGE_MATCH_TYPE_OR
	para.RequestedUsage.Usage.Length = 1
	para.RequestedUsage.Usage.UsageIdentifiers = &oids[0]
	ft := windows.NsecToFiletime(at.UnixNano())
	var chainCtx *windows.CertChainContext
	err = windows.CertGetCertificateChain(0, leaf, &ft, store, para,
		chainRevocationCheckChainExcludeRoot|chainRevocationAccumulativeTimeout, 0, &chainCtx)
	if err != nil {
		a.Err = err
		return a
	}
	defer windows.CertFreeCertificateChain(chainCtx)
	a.ChainErrors = chainCtx.TrustStatus.ErrorStatus

	name, err := windows.UTF16PtrFromString(strings.TrimSuffix(host, "."))
	if err != nil {
		a.Err = err
		return a
	}
	ssl := &windows.SSLExtraCertChainPolicyPara{AuthType: windows.AUTHTYPE_SERVER, ServerName: name}
	ssl.Size = uint32(unsafe.Sizeof(*ssl))
	pp := &windows.CertChainPolicyPara{ExtraPolicyPara: (windows.Pointer)(unsafe.Pointer(ssl))}
	pp.Size = uint32(unsafe.Sizeof(*pp))
	status := &windows.CertChainPolicyStatus{}
	status.Size = uint32(unsafe.Sizeof(*status))
	if err := windows.CertVerifyCertificateChainPolicy(windows.CERT_CHAIN_POLICY_SSL, chainCtx, pp, status); err != nil {
		a.Err = err
		return a
	}
	a.Status = status.Error
	return a
}
