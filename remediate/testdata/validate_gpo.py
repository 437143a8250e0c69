#!/usr/bin/python3
"""Checks a Registry.pol (and optionally serialized stores) with parsers trustgap
did not write: Samba's NDR parser for PReg files (samba.dcerpc.preg, from
librpc/idl/preg.idl) and the cryptography package for certificates.

Usage: /usr/bin/python3 validate_gpo.py Registry.pol [store.sst ...]
Debian packages: python3-samba python3-cryptography.

Checks, per windows-formats.md:
- the file unpacks with Samba's NDR parser and re-packs to the same bytes
  (NDR pull alone does not check the [ ; ] separators: the re-pack does);
- every ...\\SystemCertificates\\<Store>\\Certificates\\<SHA1> value is a
  REG_BINARY "Blob": property elements (id, 1, length, value), the last one
  0x20 holding the DER certificate (MS-GPEF 2.2.1.1.1);
- the key name is the certificate's SHA-1 in upper case (Windows ignores the
  entry otherwise), and a SHA1_HASH property, if any, agrees;
- a Root certificate is self-signed by signature, a CA one is not;
- each SST is "\\0\\0\\0\\0CERT", elements, and the 12-byte zero end marker.
Prints one line per entry and a total; exits 1 on any error."""
import hashlib
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from samba.dcerpc import misc, preg
from samba.ndr import ndr_pack, ndr_unpack

PREFIX = 'Software\\Policies\\Microsoft\\SystemCertificates\\'
CERT_ELEMENT = 0x20
SHA1_HASH = 3


def elements(buf):
    """Splits a serialized certificate into its (id, value) elements."""
    off, out = 0, []
    while off < len(buf):
        if len(buf) - off < 12:
            raise ValueError('truncated element header at offset %d' % off)
        eid, one, size = struct.unpack_from('<III', buf, off)
        off += 12
        if one != 1:
            raise ValueError('element %d: second field is %d, not 1' % (eid, one))
        if off + size > len(buf):
            raise ValueError('element %d overruns the blob' % eid)
        out.append((eid, buf[off:off + size]))
        off += size
    if not out or out[-1][0] != CERT_ELEMENT:
        raise ValueError('the last element is not the certificate (0x20)')
    return out


def self_signed(cert):
    """Whether cert's own key verifies its signature (not names alone)."""
    if cert.issuer != cert.subject:
        return False
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except Exception:
        return False
    return True


def check_pol(path):
    raw = open(path, 'rb').read()
    pol = ndr_unpack(preg.file, raw)
    errors, blobs = [], 0
    if pol.header.signature != 'PReg' or pol.header.version != 1:
        errors.append('header is not PReg version 1')
    if ndr_pack(pol) != raw:
        errors.append('Samba re-packs it to different bytes (a separator, size or padding is wrong)')
    for e in pol.entries:
        kind = {misc.REG_NONE: 'REG_NONE', misc.REG_BINARY: 'REG_BINARY'}.get(e.type, str(e.type))
        print('  [%s;%s;%s;%d]' % (e.keyname, e.valuename, kind, e.size))
        if not e.keyname.startswith(PREFIX):
            continue
        parts = e.keyname[len(PREFIX):].split('\\')
        if len(parts) != 3 or parts[1] != 'Certificates' or e.valuename != 'Blob':
            continue
        blobs += 1
        if e.type != misc.REG_BINARY:
            errors.append('%s: Blob is not REG_BINARY' % e.keyname)
            continue
        try:
            els = elements(bytes(e.data))
        except ValueError as err:
            errors.append('%s: %s' % (e.keyname, err))
            continue
        der = els[-1][1]
        cert = x509.load_der_x509_certificate(der)
        sha1 = hashlib.sha1(der).hexdigest().upper()
        if parts[2] != sha1:
            errors.append('%s: key name is not the SHA-1 %s' % (e.keyname, sha1))
        for eid, value in els[:-1]:
            if eid == SHA1_HASH and value.hex().upper() != sha1:
                errors.append('%s: SHA1_HASH property disagrees' % e.keyname)
        ss = self_signed(cert)
        print('    -> %s store=%s self-signed=%s' % (cert.subject.rfc4514_string(), parts[0], ss))
        if parts[0] == 'Root' and not ss:
            errors.append('%s: not self-signed, in Root' % e.keyname)
        if parts[0] == 'CA' and ss:
            errors.append('%s: self-signed, in CA' % e.keyname)
    return blobs, errors


def check_sst(path):
    raw = open(path, 'rb').read()
    if raw[:8] != b'\0\0\0\0CERT':
        raise ValueError('%s: no serialized store header' % path)
    off, n = 8, 0
    while True:
        if len(raw) - off < 12:
            raise ValueError('%s: truncated at offset %d' % (path, off))
        eid, one, size = struct.unpack_from('<III', raw, off)
        off += 12
        if eid == 0:
            if one != 0 or size != 0 or off != len(raw):
                raise ValueError('%s: bad end marker' % path)
            return n
        if one != 1 or off + size > len(raw):
            raise ValueError('%s: bad element at offset %d' % (path, off - 12))
        if eid == CERT_ELEMENT:
            cert = x509.load_der_x509_certificate(raw[off:off + size])
            print('  SST %s %s' % (hashlib.sha1(raw[off:off + size]).hexdigest().upper(), cert.subject.rfc4514_string()))
            n += 1
        off += size


def main(args):
    blobs, errors = check_pol(args[0])
    print('Registry.pol: %d certificate Blob(s), %d error(s)' % (blobs, len(errors)))
    for err in errors:
        print('ERROR: ' + err)
    for sst in args[1:]:
        try:
            print('%s: %d certificate(s)' % (sst, check_sst(sst)))
        except ValueError as err:
            print('ERROR: %s' % err)
            errors.append(str(err))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
