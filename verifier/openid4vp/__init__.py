"""OpenID for Verifiable Presentations 1.0 (Final): the verifier side, free of any web framework.

* :mod:`~verifier.openid4vp.dcql` — DCQL queries for ``dc+sd-jwt``, ``ldp_vc``, ``jwt_vc_json``
  and matching presented credentials against them;
* :mod:`~verifier.openid4vp.request` — the Authorization Request, its Request Object (JAR,
  signed under ``decentralized_identifier:<did>``) and the ``openid4vp://`` link;
* :mod:`~verifier.openid4vp.response` — the ``vp_token`` of a ``direct_post`` response, each
  presentation verified by :class:`verifier.service.Verifier` with ``nonce`` and ``client_id``;
* :mod:`~verifier.openid4vp.service` — :class:`PresentationRequests`, the use cases behind
  ``/api/v1/presentation-requests`` (create, request object, respond once, status);
* :mod:`~verifier.openid4vp.ports` / :mod:`~verifier.openid4vp.memory` — the request store,
  the credential catalogue and the request signer, with in-memory versions;
* :mod:`~verifier.openid4vp.errors` — the error tree, one OAuth/OID4VP code per class.

:func:`verifier.routes.build_presentation_request_router` serves it over HTTP.
"""

from verifier.openid4vp.errors import OpenId4VpError
from verifier.openid4vp.memory import InMemoryPresentationRequestStore, StaticCredentialCatalogue
from verifier.openid4vp.ports import (
    CredentialCatalogue,
    CredentialDescription,
    PresentationRequestStore,
    RequestObjectSigner,
)
from verifier.openid4vp.request import ClientIdentifier, JwsRequestSigner
from verifier.openid4vp.service import (
    CreatedRequest,
    PresentationRequests,
    PresentationRequestSettings,
    RequestStatus,
    WhatToAsk,
)

__all__ = [
    "ClientIdentifier",
    "CreatedRequest",
    "CredentialCatalogue",
    "CredentialDescription",
    "InMemoryPresentationRequestStore",
    "JwsRequestSigner",
    "OpenId4VpError",
    "PresentationRequestSettings",
    "PresentationRequestStore",
    "PresentationRequests",
    "RequestObjectSigner",
    "RequestStatus",
    "StaticCredentialCatalogue",
    "WhatToAsk",
]
