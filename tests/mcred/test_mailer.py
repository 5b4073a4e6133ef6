"""E-mail of offers (mcred.mailer) through a small SMTP server on loopback, and
``mcred cohort issue --offers --email`` end to end."""

from __future__ import annotations

import base64
import csv
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcred import cli
from mcred.mailer import Mailer, OfferMail, SmtpConfig, SmtpConfigError, offer_message

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "mcred" / "demo" / "cohort-example.csv"
COURSE = {"en": "Sustainable Urban Mobility", "de": "Nachhaltige urbane Mobilität"}


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT."""

    mailbox: Mailbox

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        sender, recipients = "", list[str]()
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-test")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                credentials = base64.b64decode(command.split()[2]).split(b"\0")
                self.mailbox.logins.append(credentials[1].decode() + ":" + credentials[2].decode())
                self.reply("235 ok")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip("<>"), []
                self.reply("250 ok")
            elif verb == "RCPT":
                recipient = command[8:].strip("<>")
                if recipient in self.mailbox.refuse:
                    self.reply("550 no such user")
                else:
                    recipients.append(recipient)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.mailbox.messages.append((sender, recipients, data))
                self.reply("250 queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    handler = type("Handler", (_Smtp,), {"mailbox": mailbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield mailbox, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _mail(to: str, language: str | None) -> OfferMail:
    return OfferMail(
        to=to,
        name="Ada\nBcc: evil@example.org Lovelace",
        course=COURSE,
        page_url="http://localhost:8000/offers/abc?lang=de",
        pin="123456",
        expires_at="2026-11-25 10:00 UTC",
        language=language,
    )


def test_offers_are_sent_one_message_per_learner(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    mailbox.refuse.add("gone@example.org")
    config = SmtpConfig.from_url(
        f"smtp://coordinator%40arqus:s%3Acret@127.0.0.1:{port}", "noreply@arqus.eu"
    )
    report = Mailer(config).send_offers(
        [
            _mail("ada@example.org", "de"),
            _mail("gone@example.org", None),
            _mail("bo@example.org", "xx"),
        ]
    )
    assert len(report.sent) == 2
    assert len(report.failed) == 1
    assert "gone@example.org" in report.failed[0][0]
    assert mailbox.logins == ["coordinator@arqus:s:cret"]
    assert [m[1] for m in mailbox.messages] == [["ada@example.org"], ["bo@example.org"]]
    german = _parsed(mailbox.messages[0][2])
    assert german["Subject"] == "Ihr Microcredential: Nachhaltige urbane Mobilität"
    assert german["Content-Language"] == "de"
    assert "Bcc" not in german  # a line break in a name cannot add a header
    body = german.get_content()
    assert "123456" in body
    assert "http://localhost:8000/offers/abc?lang=de" in body
    english = _parsed(mailbox.messages[1][2])  # an unknown language falls back to English
    assert english["Subject"] == "Your micro-credential: Sustainable Urban Mobility"


@pytest.mark.parametrize(
    ("url", "sender"),
    [
        ("http://host", "a@b.eu"),
        ("smtp://", "a@b.eu"),
        ("smtp://host:99999", "a@b.eu"),
        ("smtp://host", "nobody"),
    ],
)
def test_bad_smtp_settings_are_refused(url: str, sender: str) -> None:
    with pytest.raises(SmtpConfigError):
        SmtpConfig.from_url(url, sender)


def test_smtp_schemes_pick_security_and_port() -> None:
    assert SmtpConfig.from_url("smtp+starttls://mail.example.org", "a@b.eu").security == "starttls"
    tls = SmtpConfig.from_url("smtps://mail.example.org", "a@b.eu")
    assert (tls.security, tls.port) == ("tls", 465)
    assert "s3cret" not in repr(SmtpConfig.from_url("smtp://u:s3cret@h", "a@b.eu"))


def test_french_message(smtp: tuple[Mailbox, int]) -> None:
    message = offer_message(_mail("c@example.org", "fr"), "noreply@arqus.eu")
    assert message["Subject"].startswith("Votre micro-certification")


def test_cohort_issue_writes_offers_and_sends_mail(
    smtp: tuple[Mailbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox, port = smtp
    monkeypatch.setenv("MCRED_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MCRED_PUBLIC_URL", "http://localhost:8000")
    for name in ("MCRED_ENV", "MCRED_DEMO", "MCRED_DATABASE_URL", "MCRED_BOOTSTRAP_ADMIN_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = SmtpConfig.from_url(f"smtp://127.0.0.1:{port}", "noreply@arqus.eu")
    monkeypatch.setattr(SmtpConfig, "from_settings", classmethod(lambda cls, _s: config))
    offers = tmp_path / "offers.csv"
    arguments = ["cohort", "issue", str(EXAMPLE), "--alliance", "arqus"]
    arguments += ["--spec", "sustainable-urban-mobility", "--offers", str(offers), "--email"]
    result = CliRunner().invoke(cli.app, arguments)
    assert result.exit_code == 0, result.output
    assert "10 e-mail(s) sent" in result.output
    rows = list(csv.DictReader(offers.open(encoding="utf-8")))
    assert len(rows) == 10
    sent = {m[1][0]: _parsed(m[2]) for m in mailbox.messages}
    assert set(sent) == {r["email"] for r in rows}
    ada = next(r for r in rows if r["learner_ref"] == "s-2026-001")
    assert ada["pin"] in sent[ada["email"]].get_content()
    noether = sent["emmy.noether@example.org"]
    assert noether["Subject"].startswith("Ihr Microcredential")

    again = CliRunner().invoke(cli.app, arguments[:-1])  # a re-run: nothing new issued
    assert again.exit_code == 0, again.output
    assert "10 issued" in again.output
    assert "new offers" in again.output
    assert len(list(csv.DictReader(offers.open(encoding="utf-8")))) == 20  # appended
