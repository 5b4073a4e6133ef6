"""The texts of the learner's offer page (:mod:`mcred.offer_page`), one catalogue per language.

Every language has the same keys and the same ``{placeholders}``; a test holds them together.
Texts are plain text (the page escapes them), so a translator never writes markup. A new
language is one more entry in :data:`MESSAGES` and its name in :data:`LANGUAGE_NAMES`.

``expires_at`` is formatted with :meth:`str.format` on a UTC :class:`~datetime.datetime`
``{d}``; the other placeholders are named where they are used.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGE_NAMES", "MESSAGES"]

DEFAULT_LANGUAGE: Final = "en"

LANGUAGE_NAMES: Final[dict[str, str]] = {"en": "English", "de": "Deutsch", "fr": "Français"}
"""Each language under its own name (autonym), in the order the switcher lists them."""

_NBSP = "\u00a0"  # French puts a no-break space before ':' and ';' and inside guillemets

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "page_title": "Your micro-credential",
        "heading": "Add your micro-credential to your wallet",
        "intro": (
            "You have been awarded a micro-credential. Receive it in a digital wallet app: "
            "it stays yours, and you decide whom to show it to."
        ),
        "language": "Language",
        "course": "Course",
        "awarded_by": "Awarded jointly by",
        "alliance": "Alliance",
        "workload": "Workload",
        "workload_value": "{ects} ECTS credits",
        "decimal_mark": ".",
        "expires": "This offer is valid until",
        "expires_at": "{d:%Y-%m-%d}, {d:%H:%M} UTC",
        "minutes_left": "(about {minutes} min from when this page was loaded)",
        "qr_heading": "Scan with your wallet",
        "qr_alt": "QR code of this credential offer, to scan with your wallet app",
        "qr_png": "Download the QR code (PNG)",
        "same_device_heading": "Wallet on this device?",
        "open_wallet": "Open in my wallet app",
        "open_wallet_hint": "Use this button only if the wallet app is installed on this device.",
        "steps_heading": "How to receive it",
        "step_wallet": (
            "If you have none yet, install a wallet app that supports OpenID4VCI "
            "(OpenID for Verifiable Credential Issuance)."
        ),
        "step_scan": (
            "Open the wallet app and scan the QR code on this page. If the wallet is on this "
            'device, use the button "{button}" instead.'
        ),
        "step_pin": (
            "When the wallet asks for a PIN, enter the PIN you received separately "
            "(for example by e-mail)."
        ),
        "step_accept": (
            "Check the details the wallet shows and accept the credential. "
            "It is now in your wallet."
        ),
        "pin_heading": "About the PIN",
        "pin_elsewhere": (
            "For your security, the PIN is not shown on this page. It was sent to you by "
            "another channel, for example by e-mail. Do not share it with anyone."
        ),
        "pin_none": "This offer needs no PIN.",
        "once": (
            "The offer works once: when your wallet has received the credential, or when the "
            "offer has expired, this page stops working. It is meant for you alone; do not "
            "share the link."
        ),
        "gone_title": "This offer is no longer available",
        "gone_body": (
            "The link has expired, has already been used, or is not correct. If you have not "
            "received your micro-credential yet, ask whoever sent you the link for a new one."
        ),
        "gone_done": "If your wallet has already received the credential, there is nothing more "
        "to do.",
    },
    "de": {
        "page_title": "Ihr Microcredential",
        "heading": "Ihr Microcredential in Ihre Wallet übernehmen",
        "intro": (
            "Ihnen wurde ein Microcredential verliehen. Empfangen Sie es in einer digitalen "
            "Wallet-App: Es gehört Ihnen, und Sie entscheiden, wem Sie es zeigen."
        ),
        "language": "Sprache",
        "course": "Kurs",
        "awarded_by": "Gemeinsam verliehen von",
        "alliance": "Allianz",
        "workload": "Arbeitsaufwand",
        "workload_value": "{ects} ECTS-Punkte",
        "decimal_mark": ",",
        "expires": "Dieses Angebot gilt bis",
        "expires_at": "{d:%d.%m.%Y}, {d:%H:%M} Uhr UTC",
        "minutes_left": "(etwa {minutes} Min. ab dem Laden dieser Seite)",
        "qr_heading": "Mit Ihrer Wallet scannen",
        "qr_alt": "QR-Code dieses Angebots, zum Scannen mit Ihrer Wallet-App",
        "qr_png": "QR-Code herunterladen (PNG)",
        "same_device_heading": "Wallet auf diesem Gerät?",
        "open_wallet": "In meiner Wallet-App öffnen",
        "open_wallet_hint": (
            "Nutzen Sie diese Schaltfläche nur, wenn die Wallet-App auf diesem Gerät "
            "installiert ist."
        ),
        "steps_heading": "So erhalten Sie es",
        "step_wallet": (
            "Falls Sie noch keine haben, installieren Sie eine Wallet-App, die OpenID4VCI "
            "(OpenID for Verifiable Credential Issuance) unterstützt."
        ),
        "step_scan": (
            "Öffnen Sie die Wallet-App und scannen Sie den QR-Code auf dieser Seite. Ist die "
            "Wallet auf diesem Gerät, nutzen Sie stattdessen die Schaltfläche „{button}“."
        ),
        "step_pin": (
            "Wenn die Wallet nach einer PIN fragt, geben Sie die PIN ein, die Sie getrennt "
            "erhalten haben (zum Beispiel per E-Mail)."
        ),
        "step_accept": (
            "Prüfen Sie die Angaben in der Wallet und nehmen Sie das Microcredential an. "
            "Es liegt nun in Ihrer Wallet."
        ),
        "pin_heading": "Zur PIN",
        "pin_elsewhere": (
            "Zu Ihrer Sicherheit wird die PIN nicht auf dieser Seite angezeigt. Sie wurde "
            "Ihnen auf einem anderen Weg geschickt, zum Beispiel per E-Mail. Geben Sie sie "
            "an niemanden weiter."
        ),
        "pin_none": "Für dieses Angebot ist keine PIN nötig.",
        "once": (
            "Das Angebot gilt nur einmal: Sobald Ihre Wallet das Microcredential erhalten hat "
            "oder das Angebot abgelaufen ist, funktioniert diese Seite nicht mehr. Sie ist nur "
            "für Sie bestimmt; geben Sie den Link nicht weiter."
        ),
        "gone_title": "Dieses Angebot ist nicht mehr verfügbar",
        "gone_body": (
            "Der Link ist abgelaufen, wurde bereits verwendet oder ist nicht korrekt. Falls Sie "
            "Ihr Microcredential noch nicht erhalten haben, bitten Sie die Stelle, die Ihnen "
            "den Link geschickt hat, um einen neuen."
        ),
        "gone_done": "Wenn Ihre Wallet das Microcredential bereits erhalten hat, ist nichts "
        "weiter zu tun.",
    },
    "fr": {
        "page_title": "Votre micro-certification",
        "heading": "Ajoutez votre micro-certification à votre portefeuille",
        "intro": (
            "Une micro-certification vous a été décernée. Recevez-la dans une application de "
            f"portefeuille numérique{_NBSP}: elle vous appartient, et vous décidez à qui la "
            "montrer."
        ),
        "language": "Langue",
        "course": "Cours",
        "awarded_by": "Décernée conjointement par",
        "alliance": "Alliance",
        "workload": "Charge de travail",
        "workload_value": "{ects} crédits ECTS",
        "decimal_mark": ",",
        "expires": "Cette offre est valable jusqu'au",
        "expires_at": "{d:%d/%m/%Y} à {d:%H:%M} UTC",
        "minutes_left": "(environ {minutes} min après le chargement de cette page)",
        "qr_heading": "Scannez avec votre portefeuille",
        "qr_alt": "Code QR de cette offre, à scanner avec votre application de portefeuille",
        "qr_png": "Télécharger le code QR (PNG)",
        "same_device_heading": f"Portefeuille sur cet appareil{_NBSP}?",
        "open_wallet": "Ouvrir dans mon application de portefeuille",
        "open_wallet_hint": (
            "N'utilisez ce bouton que si l'application de portefeuille est installée sur cet "
            "appareil."
        ),
        "steps_heading": "Comment la recevoir",
        "step_wallet": (
            "Si vous n'en avez pas encore, installez une application de portefeuille "
            "compatible OpenID4VCI (OpenID for Verifiable Credential Issuance)."
        ),
        "step_scan": (
            "Ouvrez l'application de portefeuille et scannez le code QR de cette page. Si le "
            f"portefeuille est sur cet appareil, utilisez plutôt le bouton «{_NBSP}{{button}}"
            f"{_NBSP}»."
        ),
        "step_pin": (
            "Lorsque le portefeuille demande un code PIN, saisissez le code PIN reçu "
            "séparément (par exemple par e-mail)."
        ),
        "step_accept": (
            "Vérifiez les informations affichées par le portefeuille et acceptez la "
            "micro-certification. Elle se trouve désormais dans votre portefeuille."
        ),
        "pin_heading": "À propos du code PIN",
        "pin_elsewhere": (
            "Pour votre sécurité, le code PIN n'est pas affiché sur cette page. Il vous a été "
            "envoyé par un autre canal, par exemple par e-mail. Ne le communiquez à personne."
        ),
        "pin_none": "Cette offre ne demande pas de code PIN.",
        "once": (
            f"L'offre ne fonctionne qu'une fois{_NBSP}: dès que votre portefeuille a reçu la "
            "micro-certification, ou lorsque l'offre a expiré, cette page ne fonctionne plus. "
            f"Elle vous est destinée à vous seul{_NBSP}; ne partagez pas le lien."
        ),
        "gone_title": "Cette offre n'est plus disponible",
        "gone_body": (
            "Le lien a expiré, a déjà été utilisé ou n'est pas correct. Si vous n'avez pas "
            "encore reçu votre micro-certification, demandez un nouveau lien à la personne ou "
            "au service qui vous l'a envoyé."
        ),
        "gone_done": "Si votre portefeuille a déjà reçu la micro-certification, vous n'avez "
        "rien d'autre à faire.",
    },
}
