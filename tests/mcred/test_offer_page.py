"""The learner's offer page (``/offers/{id}``) and its QR codes, through the HTTP app."""

from __future__ import annotations

import json
import re
import string
import struct
import xml.etree.ElementTree as ET
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from issuer.api_keys import Principal, Role
from issuer.catalogue import AllianceFile
from mcred.app import DEV_ADMIN_TOKEN, Services, create_app
from mcred.offer_page import negotiate_language
from mcred.offer_page_messages import LANGUAGE_NAMES, MESSAGES
from mcred.settings import Settings

BASE = "http://localhost:8000"
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE: dict[str, Any] = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
Api = tuple[httpx.AsyncClient, Services]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(_env_file=None, data_dir=tmp_path, public_url=BASE)
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client, app.state.services
    app.state.services.close()


async def _offer(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    issued = await client.post("/api/v1/credentials", json=ISSUANCE, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    offered = await client.post(
        f"/api/v1/credentials/{issued.json()['id']}/offers", json=body or None, headers=ADMIN
    )
    assert offered.status_code == 201, offered.text
    return {**offered.json(), "credential_id": issued.json()["id"]}


def _button_href(page: str) -> str:
    found = re.search(r'<a class="button" href="([^"]+)"', page)
    assert found is not None, page
    return found.group(1).replace("&amp;", "&")


# -- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            (
                "<h1>Add your micro-credential to your wallet</h1>",
                "Sustainable Urban Mobility",
                "Leipzig University",
                "the PIN is not shown on this page",
                "5 ECTS credits",
            ),
        ),
        (
            "de",
            (
                "<h1>Ihr Microcredential in Ihre Wallet übernehmen</h1>",
                "Nachhaltige urbane Mobilität",
                "Universität Leipzig",
                "wird die PIN nicht auf dieser Seite angezeigt",
                "5 ECTS-Punkte",
            ),
        ),
        (
            "fr",
            (
                "<h1>Ajoutez votre micro-certification à votre portefeuille</h1>",
                "Mobilité urbaine durable",
                "Université de Bordeaux",
                "le code PIN n&#x27;est pas affiché sur cette page",
                "5 crédits ECTS",
            ),
        ),
    ],
)
async def test_the_page_in_each_language(api: Api, lang: str, expected: tuple[str, ...]) -> None:
    client, _ = api
    offer = await _offer(client)
    response = await client.get(f"/offers/{offer['offer_id']}", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == lang
    assert response.headers["cache-control"] == "no-store"
    assert "accept-language" in response.headers["vary"].lower()
    page = response.text
    assert f'<html lang="{lang}"' in page
    for text in expected:
        assert text in page
    # the same-device button opens the offer link the admin API gave (by reference)
    assert _button_href(page) == offer["offer_url"]
    # the QR image has a text alternative in the page's language, and the PIN is never shown
    assert f'alt="{MESSAGES[lang]["qr_alt"]}"' in page
    assert f'src="{offer["offer_id"]}/qr.svg"' in page
    assert offer["tx_code"] not in page
    # a switcher to every language, the current one marked without relying on colour
    for code, name in LANGUAGE_NAMES.items():
        assert f'href="?lang={code}" hreflang="{code}" lang="{code}"' in page
        assert name in page
    assert page.count('aria-current="page"') == 1
    assert f'lang="{lang}" aria-current="page"' in page
    # the expiry is machine-readable and shown in the learner's terms
    assert f'<time datetime="{offer["expires_at"][:19]}' in page


async def test_text_in_another_language_is_marked(api: Api) -> None:
    client, _ = api
    offer = await _offer(client)
    page = (await client.get(f"/offers/{offer['offer_id']}?lang=de")).text
    # Granada has no German name: its English one is marked as English
    assert '<span lang="en">University of Granada</span>' in page
    assert '<span lang="en">Arqus European University Alliance</span>' in page


async def test_the_page_language_follows_query_then_accept_language(api: Api) -> None:
    client, _ = api
    offer = await _offer(client)
    url = f"/offers/{offer['offer_id']}"
    german = await client.get(url, headers={"Accept-Language": "es-ES, de;q=0.8, en;q=0.5"})
    assert german.headers["content-language"] == "de"
    forced = await client.get(url, params={"lang": "fr"}, headers={"Accept-Language": "de"})
    assert forced.headers["content-language"] == "fr"
    fallback = await client.get(url, params={"lang": "pt"}, headers={"Accept-Language": "de"})
    assert fallback.headers["content-language"] == "de"
    default = await client.get(url, headers={"Accept-Language": "ja, zh;q=0.5"})
    assert default.headers["content-language"] == "en"


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "en"),
        (None, "", "en"),
        (None, "de-DE,de;q=0.9,en;q=0.8", "de"),
        (None, "es, fr;q=0.5, de;q=0.4", "fr"),
        (None, "en;q=0.5, de;q=0.7", "de"),
        (None, "de;q=0.5, fr;q=0.5", "de"),  # equal weights: the first listed
        (None, "de;q=0, fr;q=0.1", "fr"),  # q=0 means "not acceptable"
        (None, "de;q=bogus, fr", "fr"),
        (None, "*", "en"),
        (None, "FR-ca", "fr"),
        ("de", "fr", "de"),
        ("DE-at", None, "de"),
        ("xx", "fr", "fr"),
        ('"><script>', None, "en"),
    ],
)
def test_negotiate_language(query: str | None, header: str | None, expected: str) -> None:
    assert negotiate_language(query, header) == expected


def test_every_language_has_every_text_with_the_same_placeholders() -> None:
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = MESSAGES["en"]
    assert set(MESSAGES) == set(LANGUAGE_NAMES) >= {"en", "de", "fr"}
    for lang, texts in MESSAGES.items():
        assert set(texts) == set(english), lang
        for key, text in texts.items():
            assert text.strip(), (lang, key)
            assert placeholders(text) == placeholders(english[key]), (lang, key)
            assert not {"<", ">"} & set(text), (lang, key)  # plain text only


async def test_an_offer_without_pin_says_so(api: Api) -> None:
    client, _ = api
    offer = await _offer(client, tx_code=False)
    assert offer["tx_code"] is None
    page = (await client.get(f"/offers/{offer['offer_id']}")).text
    assert MESSAGES["en"]["pin_none"] in page
    assert MESSAGES["en"]["step_pin"] not in page
    assert MESSAGES["en"]["pin_elsewhere"] not in page


async def test_an_offer_by_value_is_shown_by_reference(api: Api) -> None:
    client, _ = api
    offer = await _offer(client, by_reference=False)
    assert "credential_offer=" in offer["offer_url"]
    page = (await client.get(offer["offer_page_url"])).text
    link = _button_href(page)
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    fetched = (await client.get(uri)).json()
    assert fetched == _offer_object(offer["offer_url"])


def _offer_object(link: str) -> Any:
    return json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])


# -- hostile values ---------------------------------------------------------------------------

HOSTILE_TITLE = '<script>alert("title")</script>'
HOSTILE_PARTNER = "\"><img src=x onerror=alert('partner')>"
HOSTILE_ALLIANCE = "Tom & Jerry <b>Alliance</b>"


async def test_hostile_catalogue_values_and_parameters_are_escaped(api: Api) -> None:
    client, services = api
    data = yaml.safe_load(files("mcred.demo").joinpath("alliance.yaml").read_text("utf-8"))
    data["specifications"][0]["title"] = {"en": HOSTILE_TITLE, "de": HOSTILE_TITLE}
    data["partners"][1]["legal_name"] = {"en": HOSTILE_PARTNER}
    data["alliance"]["name"] = {"en": HOSTILE_ALLIANCE}
    services.issuer.load_alliance(
        AllianceFile.parse(data), Principal("test", Role.ADMIN, None, "test")
    )
    offer = await _offer(client)
    response = await client.get(
        f"/offers/{offer['offer_id']}",
        params={"lang": '"><script>alert(1)</script>'},
        headers={"Accept-Language": "<svg onload=alert(2)>, de;q=0.1"},
    )
    page = response.text
    assert response.headers["content-language"] == "de"
    assert "<script" not in page
    assert "<img" not in page.replace('<img class="qr"', "")
    assert "<svg" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(&#x27;partner&#x27;)&gt;" in page
    assert "Tom &amp; Jerry &lt;b&gt;Alliance&lt;/b&gt;" in page


@pytest.mark.parametrize(
    "path", ["/offers/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/offers/x%22%3E%3Cb%3E"]
)
async def test_hostile_offer_ids_are_not_reflected(api: Api, path: str) -> None:
    client, _ = api
    response = await client.get(path)
    assert response.status_code == 404
    assert "<script" not in response.text
    assert "<b>" not in response.text
    assert "alert" not in response.text


# -- offers that are gone --------------------------------------------------------------------


async def _redeemed(client: httpx.AsyncClient, services: Services) -> str:
    offer = await _offer(client)
    uri = parse_qs(urlsplit(offer["offer_url"]).query)["credential_offer_uri"][0]
    code = (await client.get(uri)).json()["grants"][PRE_AUTHORIZED]["pre-authorized_code"]
    token = await client.post(
        "/oid4vci/token",
        data={
            "grant_type": PRE_AUTHORIZED,
            "pre-authorized_code": code,
            "tx_code": offer["tx_code"],
        },
    )
    assert token.status_code == 200, token.text
    return str(offer["offer_id"])


async def _expired(client: httpx.AsyncClient, services: Services) -> str:
    offer = await _offer(client)
    made = services.wallet_bridge.create_offer(offer["credential_id"], ttl=timedelta(seconds=-1))
    return made.offer_id


async def _unknown(client: httpx.AsyncClient, services: Services) -> str:
    return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.mark.parametrize(
    "gone", [_unknown, _expired, _redeemed], ids=["unknown", "expired", "redeemed"]
)
async def test_a_gone_offer_gets_a_friendly_404_in_the_learners_language(
    api: Api, gone: Any
) -> None:
    client, services = api
    offer_id = await gone(client, services)
    response = await client.get(f"/offers/{offer_id}", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "de"
    assert '<html lang="de"' in response.text
    assert f"<h1>{MESSAGES['de']['gone_title']}</h1>" in response.text
    assert "openid-credential-offer" not in response.text
    french = await client.get(f"/offers/{offer_id}?lang=fr")
    assert french.status_code == 404
    assert "Cette offre n&#x27;est plus disponible" in french.text
    for image in ("qr.svg", "qr.png"):
        missing = await client.get(f"/offers/{offer_id}/{image}")
        assert missing.status_code == 404
        assert missing.json()["code"] == "not_found"


# -- QR codes ---------------------------------------------------------------------------------


def _png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and 8-bit grey pixels of a non-interlaced greyscale PNG (what segno
    writes), enough to hand the image to a QR decoder without an imaging library."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, header = 8, b"", b""
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, chunk = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (colour, interlace) == (0, 0)
    assert depth in (1, 2, 4, 8)
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    pixels = bytearray()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):  # filters (PNG §9.2); bpp is 1 byte for greyscale <= 8 bits
            left = line[i - 1] if i else 0
            up, up_left = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                near = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + near) & 0xFF
        previous = line
        levels = (1 << depth) - 1
        for x in range(width):
            bit = x * depth
            value = (line[bit // 8] >> (8 - depth - bit % 8)) & levels
            pixels.append(value * 255 // levels)
    return width, height, bytes(pixels)


async def test_the_png_qr_code_decodes_to_the_offer_link(api: Api) -> None:
    zxingcpp = pytest.importorskip(
        "zxingcpp", reason="zxing-cpp (QR decoder) is not installed: add it to the dev extras"
    )
    client, _ = api
    offer = await _offer(client)
    response = await client.get(offer["qr_png_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    width, height, pixels = _png_pixels(response.content)
    found = zxingcpp.read_barcodes(memoryview(pixels).cast("B", (height, width)))
    assert [code.text for code in found] == [offer["offer_url"]]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode


async def test_the_svg_qr_code_is_valid_svg(api: Api) -> None:
    client, _ = api
    offer = await _offer(client)
    response = await client.get(offer["qr_svg_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "no-store"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.attrib["width"]) == int(root.attrib["height"]) > 0
    assert root.find("{http://www.w3.org/2000/svg}title") is not None


# -- the admin API ----------------------------------------------------------------------------


async def test_the_admin_api_names_the_page_and_qr_codes(api: Api) -> None:
    client, _ = api
    offer = await _offer(client)
    page = f"{BASE}/offers/{offer['offer_id']}"
    assert offer["offer_page_url"] == page
    assert offer["qr_svg_url"] == f"{page}/qr.svg"
    assert offer["qr_png_url"] == f"{page}/qr.png"
    assert re.fullmatch(r"\d{6}", offer["tx_code"])
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/v1/credentials/{credential_id}/offers"]["post"]
    reference = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    model = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    for field in (
        "offer_id",
        "credential_offer_uri",
        "offer_url",
        "tx_code",
        "expires_at",
        "offer_page_url",
        "qr_svg_url",
        "qr_png_url",
    ):
        assert model["properties"][field].get("description"), field
    assert set(model["required"]) >= {"offer_url", "offer_page_url", "expires_at"}
    page_operation = schema["paths"]["/offers/{offer_id}"]["get"]
    assert "text/html" in page_operation["responses"]["200"]["content"]
