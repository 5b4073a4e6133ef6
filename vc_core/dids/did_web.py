"""did:web ↔ URL, as pure functions (did:web CCG draft, "Method-specific identifier" and
"Read (Resolve)"; specs.md §8.1). Fetching lives at the edge (``mcred``), never here.

Read steps 1-5: replace ``:`` with ``/``; percent-decode the port colon; prefix ``https://``;
append ``/.well-known`` when there is no path; append ``/did.json``::

    did:web:credentials.alliance.example          https://credentials.alliance.example/.well-known/did.json
    did:web:example.com%3A3000:user:alice         https://example.com:3000/user/alice/did.json

Syntax we accept (stricter than the draft's ABNF, refusing every ambiguous spelling):

* the host is a lowercase DNS name of two or more labels (RFC 1035/1123 LDH labels, last label
  starting with a letter) or ``localhost``: the draft says the identifier "MUST NOT include IP
  addresses", so dotted-decimal, hex and bracketed IPv6 hosts are refused;
* the only percent-encoding is ``%3A`` before a port (1-65535, no leading zero);
* path segments are non-empty runs of ``A-Z a-z 0-9 . _ -``, never ``.`` or ``..``, and the first
  is not ``.well-known`` (that would name the same URL as the bare domain);
* no fragment, query or ``/`` in the DID itself.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from vc_core.errors import DidResolutionError, DidSyntaxError

__all__ = ["DID_WEB_PREFIX", "did_web_to_url", "is_loopback_host", "url_to_did_web"]

DID_WEB_PREFIX = "did:web:"

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LABEL = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
# urlsplit silently drops tabs and newlines (WHATWG); we refuse them, and all non-ASCII, first
_URL_CHARS = re.compile(r"[\x21-\x7e]+")
_MAX_HOST = 253
_MAX_PORT = 65535
_WELL_KNOWN = ".well-known"
_DOCUMENT = "did.json"


def _syntax(message: str) -> DidSyntaxError:
    return DidSyntaxError(message, details={"error": "invalidDid", "method": "web"})


def _check_host(host: str, source: str) -> str:
    if host == "localhost":
        return host
    labels = host.split(".")
    if (
        len(host) > _MAX_HOST
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or _TOP_LABEL.fullmatch(labels[-1]) is None
    ):
        raise _syntax(
            f"{source}: {host!r} is neither localhost nor a lowercase DNS name of two or more "
            "labels (IP addresses are refused)"
        )
    return host


def _check_port(port: str, source: str) -> str:
    if _PORT.fullmatch(port) is None or int(port) > _MAX_PORT:
        raise _syntax(f"{source}: invalid port {port!r}")
    return port


def _check_path(segments: list[str], source: str) -> list[str]:
    for segment in segments:
        if _SEGMENT.fullmatch(segment) is None or segment in {".", ".."}:
            raise _syntax(f"{source}: invalid path segment {segment!r}")
    if segments and segments[0] == _WELL_KNOWN:
        raise _syntax(f"{source}: a path may not start with {_WELL_KNOWN}")
    return segments


def is_loopback_host(host: str) -> bool:
    """``localhost`` and ``*.localhost`` (RFC 6761 §6.3): the only hosts ``http`` may serve."""
    return host == "localhost" or host.endswith(".localhost")


def _parse(did: str) -> tuple[str, str | None, list[str]]:
    if not isinstance(did, str) or not did.startswith(DID_WEB_PREFIX):
        raise _syntax(f"not a did:web DID: {did!r}")
    authority, *path = did[len(DID_WEB_PREFIX) :].split(":")
    host, sep, port = authority.partition("%3A")
    if "%" in host or "%" in port:
        raise _syntax(f"{did}: only the port colon may be percent-encoded, as %3A")
    _check_host(host, did)
    if sep:
        _check_port(port, did)
    return host, (port if sep else None), _check_path(path, did)


def did_web_to_url(did: str, *, scheme: Literal["https", "http"] = "https") -> str:
    """The URL of the DID document of ``did`` (did:web Read steps 1-5).

    ``scheme="http"`` is only for loopback development (``did:web:localhost%3A8000``): for any
    other host it raises :class:`DidResolutionError`, since did:web requires TLS. Raises
    :class:`DidSyntaxError` when ``did`` is not a did:web DID we accept (see the module doc).
    """
    host, port, path = _parse(did)
    if scheme not in ("https", "http"):
        raise DidResolutionError(f"unsupported scheme {scheme!r} for did:web")
    if scheme == "http" and not is_loopback_host(host):
        raise DidResolutionError(
            f"did:web requires https; http is allowed for loopback hosts only, not {host!r}",
            details={"error": "invalidDid", "method": "web"},
        )
    authority = host if port is None else f"{host}:{port}"
    location = "/" + "/".join(path) if path else "/" + _WELL_KNOWN
    return f"{scheme}://{authority}{location}/{_DOCUMENT}"


def url_to_did_web(url: str) -> str:
    """The did:web DID whose document lives at ``url`` (the inverse of :func:`did_web_to_url`).

    ``url`` is either the document URL (``…/.well-known/did.json``, ``…/<path>/did.json``) or a
    base URL (``http://localhost:8000``, ``https://example.com/user/alice``). ``http`` and
    ``https`` are both accepted: the DID does not carry the scheme. An explicit port is kept,
    even the scheme's default (``:443`` gives ``%3A443``). The host is lowercased; a
    userinfo, query, fragment, IP host, percent-encoded path, whitespace or non-ASCII character
    is refused (:class:`DidSyntaxError`).
    """
    if not isinstance(url, str) or _URL_CHARS.fullmatch(url) is None:
        raise _syntax(f"not a URL of printable ASCII without spaces: {url!r}")
    if "?" in url or "#" in url:
        raise _syntax(f"not a did:web location (no query or fragment allowed): {url!r}")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced "[" ("Invalid IPv6 URL")
        raise _syntax(f"not a URL: {url!r}: {exc}") from exc
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise _syntax(f"not an http(s) URL: {url!r}")
    if "@" in parts.netloc or parts.netloc.startswith("["):
        raise _syntax(f"{url}: userinfo and IP literals are not allowed")
    host, sep, port = parts.netloc.partition(":")
    host = _check_host(host.lower(), url)
    if sep:
        _check_port(port, url)
    path = parts.path.removesuffix("/")
    segments = path.split("/")[1:] if path else []
    if segments and segments[-1] == _DOCUMENT:
        segments.pop()
        if segments == [_WELL_KNOWN]:
            segments = []
        elif not segments:
            raise _syntax(f"{url}: a did.json at the root is not a did:web location")
    _check_path(segments, url)
    authority = host if not sep else f"{host}%3A{port}"
    return DID_WEB_PREFIX + ":".join([authority, *segments])
