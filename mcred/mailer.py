"""E-mail to learners: their credential offer (page link and PIN) through an SMTP server.

Configured by ``MCRED_SMTP_URL`` and ``MCRED_SMTP_FROM`` (:meth:`SmtpConfig.from_settings`):

* ``smtp://[user:password@]host[:port]`` — plain SMTP (port 25; a relay on loopback);
* ``smtp+starttls://…`` — STARTTLS required before anything else is sent (port 587);
* ``smtps://…`` — TLS from the first byte (port 465).

User name and password are percent-decoded; certificates are checked against the system's
trust store (:func:`ssl.create_default_context`). One connection sends every message of a
batch, one message per learner, in the learner's language (English, German or French;
English otherwise).

A trade-off, documented in ``docs/cohort-format.md``: OpenID4VCI 1.0 wants the PIN
(``tx_code``) to reach the learner by another channel than the offer, so that an intercepted
offer alone cannot be redeemed. This e-mail carries the link to the learner's offer page *and*
the PIN, so whoever reads the mailbox can redeem the offer; the offer is still single-use and
short-lived, and the page never shows the PIN. Send the PIN by another channel (the offers
CSV has it) where that matters.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import unquote, urlsplit

from mcred.settings import Settings

__all__ = [
    "MESSAGES",
    "MailReport",
    "Mailer",
    "OfferMail",
    "SmtpConfig",
    "SmtpConfigError",
    "offer_message",
]

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class SmtpConfigError(ValueError):
    """``MCRED_SMTP_URL`` or ``MCRED_SMTP_FROM`` is missing or malformed."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "plain"
    """``plain``, ``starttls`` or ``tls``."""
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise SmtpConfigError(
                "MCRED_SMTP_URL is smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]"
            )
        if not sender or "@" not in sender:
            raise SmtpConfigError("MCRED_SMTP_FROM must be an e-mail address")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise SmtpConfigError("MCRED_SMTP_URL has an invalid port") from None
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}[parts.scheme]
        return cls(
            host=parts.hostname,
            port=port,
            sender=sender,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            security=security,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """From ``MCRED_SMTP_URL`` and ``MCRED_SMTP_FROM``."""
        if settings.smtp_url is None or not settings.smtp_url.get_secret_value():
            raise SmtpConfigError("set MCRED_SMTP_URL (and MCRED_SMTP_FROM) to send e-mail")
        return cls.from_url(settings.smtp_url.get_secret_value(), settings.smtp_from or "")


@dataclass(frozen=True)
class OfferMail:
    """What one learner's e-mail says."""

    to: str
    name: str
    course: Mapping[str, str]
    """The course title by language."""
    page_url: str
    pin: str | None
    expires_at: str
    language: str | None = None


MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "subject": "Your micro-credential: {course}",
        "body": (
            "Dear {name},\n\n"
            'your micro-credential "{course}" is ready for your digital wallet.\n\n'
            "1. Open this page on your phone, or on a computer and scan its QR code with "
            "your wallet app:\n   {page}\n"
            "2. When the wallet asks for a PIN, enter: {pin}\n\n"
            "The offer works once, until {expires}.\n"
        ),
        "no_pin": "(no PIN needed)",
    },
    "de": {
        "subject": "Ihr Microcredential: {course}",
        "body": (
            "Guten Tag {name},\n\n"
            "Ihr Microcredential „{course}“ liegt für Ihre digitale Wallet bereit.\n\n"
            "1. Öffnen Sie diese Seite auf Ihrem Telefon, oder auf einem Computer und "
            "scannen Sie den QR-Code mit Ihrer Wallet-App:\n   {page}\n"
            "2. Wenn die Wallet nach einer PIN fragt, geben Sie ein: {pin}\n\n"
            "Das Angebot gilt einmal, bis {expires}.\n"
        ),
        "no_pin": "(keine PIN nötig)",
    },
    "fr": {
        "subject": "Votre micro-certification : {course}",
        "body": (
            "Bonjour {name},\n\n"
            "votre micro-certification « {course} » est prête pour votre portefeuille "
            "numérique.\n\n"
            "1. Ouvrez cette page sur votre téléphone, ou sur un ordinateur et scannez son "
            "code QR avec votre application portefeuille :\n   {page}\n"
            "2. Quand le portefeuille demande un code PIN, saisissez : {pin}\n\n"
            "L'offre fonctionne une seule fois, jusqu'au {expires}.\n"
        ),
        "no_pin": "(aucun code PIN nécessaire)",
    },
}


def _one_line(text: str) -> str:
    """Header values never carry line breaks (no header injection from a learner's name)."""
    return " ".join(text.split())


def offer_message(mail: OfferMail, sender: str) -> EmailMessage:
    language = mail.language if mail.language is not None and mail.language in MESSAGES else "en"
    texts = MESSAGES[language]
    course = mail.course.get(language) or mail.course.get("en") or next(iter(mail.course.values()))
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((_one_line(mail.name), mail.to))
    message["Subject"] = _one_line(texts["subject"].format(course=course))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(
        texts["body"].format(
            name=_one_line(mail.name),
            course=course,
            page=mail.page_url,
            pin=mail.pin or texts["no_pin"],
            expires=mail.expires_at,
        )
    )
    message["Content-Language"] = language  # (after set_content, which resets Content-*)
    return message


@dataclass(frozen=True)
class MailReport:
    sent: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]
    """(recipient, reason) of the messages the server refused."""


class Mailer:
    """Sends messages through one SMTP server (module doc)."""

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self._context = ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        client: smtplib.SMTP
        if config.security == "tls":
            client = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=self._context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=self._context)
                client.ehlo()
            if config.username is not None:
                client.login(config.username, config.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, messages: Iterable[EmailMessage]) -> MailReport:
        """Send each message; a recipient the server refuses is reported, not raised.

        Connection and authentication failures raise :class:`smtplib.SMTPException` /
        :class:`OSError` (nothing more can be sent)."""
        sent: list[str] = []
        failed: list[tuple[str, str]] = []
        with self._connect() as client:
            for message in messages:
                recipient = str(message["To"])
                try:
                    refused = client.send_message(message)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                    failed.append((recipient, str(exc)))
                    client.rset()
                    continue
                if refused:
                    failed.append((recipient, str(refused)))
                else:
                    sent.append(recipient)
        return MailReport(tuple(sent), tuple(failed))

    def send_offers(self, mails: Iterable[OfferMail]) -> MailReport:
        return self.send(offer_message(mail, self.config.sender) for mail in mails)
