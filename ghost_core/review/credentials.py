"""Content credentials (C2PA) on everything `ghostswap review` exports, and reading them back.

Face replacement is synthetic media (EU AI Act Art. 50 asks for disclosure), so every proxy and
still is signed with a manifest that says GhostSwap made it, marks it with the IPTC digital source
type `trainedAlgorithmicMedia`, and records what made the pixels: the model's sha256, the source
photos' sha256 and the render's settings digest (the `ghost:*` EXR metadata).

The signing key is the studio's, configured by path (flags or $GHOSTSWAP_C2PA_CERT / _KEY). With
none configured a per-machine key is made once under the GhostSwap cache: the files are still
credentialed and tamper-evident, but no one else trusts that signer (verify says so).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ghost_core import __version__
from ghost_core.console import log
from ghost_core.errors import CredentialsError
from ghost_core.io.atomic import atomic_output

CERT_ENV, KEY_ENV, TRUST_ENV = "GHOSTSWAP_C2PA_CERT", "GHOSTSWAP_C2PA_KEY", "GHOSTSWAP_C2PA_TRUST"
SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
ASSERTION = "com.ghostswap.provenance"
MIME = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
# Without a trust list every self-made or studio CA reads as "untrusted"; that alone is no tampering.
UNTRUSTED = "signingCredential.untrusted"


@dataclass(frozen=True)
class Provenance:
    """What made a review file; becomes the `com.ghostswap.provenance` assertion."""

    shot: str
    swapper: str
    model_sha256: str | None
    source_sha256: tuple[str, ...]
    render_digest: str | None
    track_digest: str | None = None
    frames: str | None = None
    engine_version: str = __version__
    extra: dict[str, Any] = field(default_factory=dict)

    def assertion(self) -> dict[str, Any]:
        data = asdict(self)
        data["source_sha256"] = list(self.source_sha256)
        data.update(data.pop("extra"))
        return data


@dataclass(frozen=True)
class SignerConfig:
    """Where the signing chain (PEM, signer first) and its private key (PEM) come from."""

    cert: Path
    key: Path
    studio: bool  # False for the per-machine fallback


def signer_config(cert: str | None = None, key: str | None = None) -> SignerConfig:
    """Flags, else $GHOSTSWAP_C2PA_CERT/_KEY, else the per-machine key (made on first use)."""
    cert = cert or os.environ.get(CERT_ENV) or None
    key = key or os.environ.get(KEY_ENV) or None
    if cert or key:
        if not (cert and key):
            raise CredentialsError(
                f"give both the signing chain and its key (--c2pa-cert/--c2pa-key or {CERT_ENV}/{KEY_ENV})"
            )
        for path in (cert, key):
            if not Path(path).is_file():
                raise CredentialsError(f"{path}: signing file not found; check --c2pa-cert/--c2pa-key")
        return SignerConfig(Path(cert), Path(key), studio=True)
    from ghost_core.models_store.home import cache_root
    from ghost_core.review.certs import make_signing_files

    folder = cache_root() / "c2pa"
    if not (folder / "signer-chain.pem").is_file():
        make_signing_files(folder, organisation="GhostSwap unconfigured machine", days=3650)
    log.warning(
        "no studio signing key configured (%s/%s): signing with this machine's own key, which others "
        "will not trust (docs/review.md)",
        CERT_ENV,
        KEY_ENV,
    )
    return SignerConfig(folder / "signer-chain.pem", folder / "signer-key.pem", studio=False)


def _c2pa() -> Any:
    try:
        import c2pa
    except ImportError as exc:
        raise CredentialsError("content credentials need c2pa-python: run scripts/setup.sh") from exc
    return c2pa


def _mime(path: Path) -> str:
    mime = MIME.get(path.suffix.lower())
    if mime is None:
        raise CredentialsError(f"{path}: cannot carry content credentials here (use {', '.join(MIME)})")
    return mime


class Credentials:
    """Signs files in place (atomically) with one signer and one provenance record."""

    def __init__(self, config: SignerConfig, provenance: Provenance) -> None:
        c2pa = _c2pa()
        self.config, self.provenance = config, provenance
        try:
            info = c2pa.C2paSignerInfo(
                c2pa.C2paSigningAlg.ES256, config.cert.read_bytes(), config.key.read_bytes(), None
            )
            self._signer = c2pa.Signer.from_info(info)
        except (OSError, c2pa.C2paError) as exc:
            raise CredentialsError(
                f"{config.cert}: cannot load the signing certificate/key ({exc}); they must be an ES256 "
                "(P-256) key and its PEM chain, signer first"
            ) from exc
        self._plain = c2pa.Context(
            settings=c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
        )

    def manifest(self, title: str) -> dict[str, Any]:
        created = {"action": "c2pa.created", "digitalSourceType": SOURCE_TYPE, "softwareAgent": {
            "name": "GhostSwap", "version": __version__}}  # fmt: skip
        return {
            "claim_generator_info": [{"name": "GhostSwap", "version": __version__}],
            "title": title,
            "assertions": [
                {"label": "c2pa.actions.v2", "data": {"actions": [created]}},
                {"label": ASSERTION, "data": self.provenance.assertion()},
            ],
        }

    def sign(self, path: Path, thumbnail: bool = True) -> None:
        """Embed a signed manifest in `path`, replaced atomically (a failure leaves it as it was)."""
        c2pa = _c2pa()
        path = Path(path)
        mime = _mime(path)
        manifest = json.dumps(self.manifest(path.name))
        try:
            builder = c2pa.Builder(manifest) if thumbnail else c2pa.Builder(manifest, context=self._plain)
            with atomic_output(path) as tmp, open(path, "rb") as source, open(tmp, "w+b") as dest:
                builder.sign(self._signer, mime, source, dest)
        except c2pa.C2paError as exc:
            raise CredentialsError(f"{path}: cannot sign its content credentials ({exc})") from exc


@contextlib.contextmanager
def _reader(path: Path, trust: Path | None) -> Iterator[Any]:
    c2pa = _c2pa()
    context = None
    if trust is not None:
        settings = c2pa.Settings.from_dict({"trust": {"trust_anchors": Path(trust).read_text()}})
        context = c2pa.Context(settings=settings)
    try:
        reader = c2pa.Reader(str(path), context=context) if context else c2pa.Reader(str(path))
    except c2pa.C2paError as exc:
        if "ManifestNotFound" in type(exc).__name__ or "ManifestNotFound" in str(exc):
            raise CredentialsError(f"{path}: no content credentials (C2PA manifest) found") from exc
        raise CredentialsError(f"{path}: content credentials unreadable ({exc})") from exc
    with reader:
        yield reader


def verify(path: str | Path, trust: str | Path | None = None) -> dict[str, Any]:
    """Read and validate `path`'s credentials; CredentialsError when missing, tampered or untrusted.

    `trust` (a PEM of CA certificates, or $GHOSTSWAP_C2PA_TRUST) makes an unknown signer a failure.
    """
    path = Path(path)
    if not path.is_file():
        raise CredentialsError(f"{path}: file not found")
    if path.suffix.lower() not in MIME:
        raise CredentialsError(
            f"{path}: GhostSwap signs review files ({', '.join(MIME)}); EXRs carry ghost:* metadata instead"
        )
    trust = trust or os.environ.get(TRUST_ENV) or None
    with _reader(path, Path(trust) if trust else None) as reader:
        active = reader.get_active_manifest() or {}
        state = reader.get_validation_state()
        results = reader.get_validation_results() or {}
    failures = [f["code"] for f in (results.get("activeManifest") or {}).get("failure", [])]
    problems = [c for c in failures if trust or c != UNTRUSTED]
    assertions = {a["label"]: a.get("data") for a in active.get("assertions", [])}
    actions = (assertions.get("c2pa.actions.v2") or {}).get("actions", [])
    signature = active.get("signature_info", {})
    report = {
        "file": str(path),
        "state": state,
        "trusted": state == "Trusted",
        "problems": problems,
        "generator": [g.get("name") for g in active.get("claim_generator_info", [])],
        "digital_source_type": next((a.get("digitalSourceType") for a in actions), None),
        "signer": {"issuer": signature.get("issuer"), "common_name": signature.get("common_name")},
        "provenance": assertions.get(ASSERTION),
    }
    if problems or state not in ("Valid", "Trusted"):
        raise CredentialsError(
            f"{path}: content credentials do not verify ({state}: {', '.join(problems) or 'no detail'}); "
            "the file was changed after signing or is signed by an unknown key"
        )
    return report
