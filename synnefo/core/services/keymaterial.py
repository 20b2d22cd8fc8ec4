"""Key material for keypairs: generate, validate and fingerprint SSH keys and X.509 certificates.

Fingerprints are Nova's: for SSH keys the MD5 of the key blob, for certificates the SHA-1 of the
DER encoding, both as colon-separated hex. Generated keys: ed25519 when no type is asked for,
RSA 2048 for an explicit ``ssh`` type (what Nova generates, for clients that expect it), and a
self-signed RSA certificate for ``x509``.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID

from synnefo.core.errors import InvalidInput

SSH, X509 = "ssh", "x509"
COMMENT = "Generated-by-Synnefo"
RSA_BITS = 2048
PEM = serialization.Encoding.PEM
NO_PASSPHRASE = serialization.NoEncryption()


@dataclass(frozen=True)
class KeyMaterial:
    public_key: str
    fingerprint: str
    private_key: str | None = None


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def parse_public_key(key_type: str, text: str) -> KeyMaterial:
    """Validate an imported key; ``InvalidInput`` if it is not a key of that type."""
    text = text.strip()
    try:
        if key_type == X509:
            cert = x509.load_pem_x509_certificate(text.encode())
            return KeyMaterial(text, colon_hex(cert.fingerprint(hashes.SHA1())))
        serialization.load_ssh_public_key(text.encode())
        return KeyMaterial(text, ssh_fingerprint(text))
    except (ValueError, UnsupportedAlgorithm, IndexError, UnicodeEncodeError):
        raise InvalidInput("Keypair data is invalid: failed to generate fingerprint "
                           f"(not a valid {'PEM certificate' if key_type == X509 else 'SSH public key'})."
                           ) from None


def ssh_fingerprint(text: str) -> str:
    blob = base64.b64decode(text.split()[1], validate=True)
    return colon_hex(hashlib.md5(blob, usedforsecurity=False).digest())


def generate(key_type: str | None, owner: str) -> KeyMaterial:
    """A new key pair; the private key is returned once and never stored."""
    if key_type == X509:
        return _x509(owner)
    key = rsa.generate_private_key(65537, RSA_BITS) if key_type == SSH \
        else ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    public = f"{public} {COMMENT}"
    private_format = serialization.PrivateFormat.TraditionalOpenSSL if key_type == SSH \
        else serialization.PrivateFormat.OpenSSH
    private = key.private_bytes(PEM, private_format, NO_PASSPHRASE).decode()
    return KeyMaterial(public, ssh_fingerprint(public), private)


def _x509(owner: str) -> KeyMaterial:
    key = rsa.generate_private_key(65537, RSA_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, owner or "synnefo")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                NO_PASSPHRASE).decode()
    return KeyMaterial(cert.public_bytes(PEM).decode(),
                       colon_hex(cert.fingerprint(hashes.SHA1())), private)
