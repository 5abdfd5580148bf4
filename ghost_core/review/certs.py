"""A small ES256 CA and signing certificate shaped the way C2PA validators accept.

C2PA (spec §14.5) wants the signing certificate to be an end-entity certificate issued by a CA
(not self-signed), with keyUsage digitalSignature, an extended key usage such as
emailProtection, and the chain shipped with it (signer first). Used for tests and for the
per-machine fallback signer when no studio key is configured; a studio uses its own PKI.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ghost_core.io.atomic import atomic_output


@dataclass(frozen=True)
class SigningFiles:
    """PEM files: the signer's chain (signing cert then CA), its private key, and the CA alone."""

    chain: Path
    key: Path
    ca: Path


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _usage(sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign, content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=not sign, crl_sign=not sign, encipher_only=False,
        decipher_only=False,
    )  # fmt: skip


def make_signing_files(folder: Path, organisation: str = "GhostSwap test", days: int = 30) -> SigningFiles:
    """Write a fresh CA + ES256 signing certificate into `folder` (the key readable by its owner only)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} CA", organisation)
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    leaf = (
        x509.CertificateBuilder().subject_name(_name(f"{organisation} signer", organisation))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(authority, critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    files = SigningFiles(folder / "signer-chain.pem", folder / "signer-key.pem", folder / "ca.pem")
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with atomic_output(files.key) as tmp:
        tmp.touch(mode=0o600)
        os.chmod(tmp, 0o600)
        tmp.write_bytes(key_pem)
    with atomic_output(files.ca) as tmp:
        tmp.write_bytes(ca.public_bytes(pem))
    with atomic_output(files.chain) as tmp:  # last: its presence means the set is complete
        tmp.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    return files
