"""The texts of the employer's verifier page (:mod:`mcred.verifier_page`), one catalogue per
language.

Every language has the same keys and the same ``{placeholders}``; a test holds them together.
Texts are plain text (the page escapes them), so a translator never writes markup. The page
speaks the languages of the learner's offer page (:data:`mcred.offer_page_messages.LANGUAGE_NAMES`);
the labels of the Annex I elements come from :data:`mcred.wallet.MICRO_CREDENTIAL_CLAIMS`, the
table the SD-JWT VC Type Metadata is made of, so a wallet and this page name them alike.

``expires_at`` is formatted with :meth:`str.format` on a UTC :class:`~datetime.datetime`
``{d}``; ``months`` is the twelve month names separated by ``|``; the other placeholders are
named where they are used.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MESSAGES"]

_NBSP = "\u00a0"  # French puts a no-break space before ':' ';' '?' '!' and inside guillemets

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "page_title": "Verify a micro-credential",
        "heading": "Verify a micro-credential",
        "intro": (
            "Check that a learner's micro-credential is authentic, valid and awarded by the "
            "universities of a European alliance. Ask the learner's wallet, scan the QR code "
            "the learner shows you, or paste the credential."
        ),
        "language": "Language",
        "skip": "Skip to the content",
        # asking a wallet (OpenID4VP)
        "ask_heading": "Ask the learner's wallet",
        "ask_intro": (
            "The page shows a QR code; the learner scans it with their wallet and chooses to "
            "share the micro-credential with you."
        ),
        "alliance_label": "Micro-credential of the alliance",
        "no_alliance": "No alliance is configured on this service yet.",
        "claims_legend": "Information to ask for",
        "claims_hint": (
            "Ask only for what you need. The learner's name, the grade and how the identity "
            "was checked are shared only if you ask for them. Asking for more than the learner "
            "and the title limits the request to SD-JWT wallets."
        ),
        "device_legend": "Where is the learner's wallet?",
        "device_other": "On another device (show a QR code)",
        "device_same": "On this device (open the wallet app)",
        "ask_submit": "Create the request",
        # scanning the learner's QR code
        "scan_heading": "Scan the learner's QR code",
        "scan_intro": (
            "A learner can share a micro-credential as a QR code. Scan it with this device's "
            "camera or upload a picture of it."
        ),
        "camera_start": "Scan with the camera",
        "camera_stop": "Stop the camera",
        "camera_label": "Camera preview",
        "camera_looking": "Point the camera at the QR code.",
        "camera_unavailable": "The camera cannot be used here; upload a picture instead.",
        "upload_label": "Picture of the QR code (PNG or JPEG, at most {mb} MB)",
        "upload_submit": "Verify the QR code",
        # pasting
        "paste_heading": "Paste a credential",
        "paste_label": "Credential (JSON, or a compact JWT or SD-JWT)",
        "paste_submit": "Verify the credential",
        # the request page
        "request_title": "Waiting for the learner's wallet",
        "request_intro": (
            "Ask the learner to scan this QR code with their wallet app and to share the "
            "micro-credential. The answer appears below."
        ),
        "qr_alt": "QR code of the verification request, for the learner's wallet app",
        "same_device_heading": "Wallet on this device?",
        "same_device_link": "Open in my wallet app",
        "same_device_hint": (
            "After sharing, the wallet brings you back to this service with the result."
        ),
        "expires_at": "The request is valid until {d:%H:%M} UTC and answers once.",
        "waiting": "Waiting for the wallet's answer…",
        "noscript_reload": (
            "Without JavaScript this page does not update by itself: reload it to see the answer."
        ),
        "check_now": "Check for the answer",
        "new_request": "Verify another credential",
        # the result
        "result_heading": "Result",
        "verified": "Verified",
        "not_verified": "Not verified",
        "verified_body": (
            "The micro-credential is authentic, within its validity period, not revoked or "
            "suspended, and its issuer is a trusted member of the alliance."
        ),
        "not_verified_body": "Do not rely on this credential. What failed:",
        "request_expired": "The request expired without an answer. Create a new one.",
        "wallet_declined": "The learner's wallet declined the request ({code}).",
        "answered_elsewhere": (
            "The wallet has answered. The result is shown in the browser window the wallet "
            "opened after sharing."
        ),
        "no_credential": "The answer contains no credential that could be read.",
        "not_requested": "The learner did not share: {claims}.",
        "credential_heading": "The micro-credential",
        "credential_heading_n": "Micro-credential {n}",
        "coordinating_provider": "Coordinating provider",
        "issued_on_behalf": (
            "Issued by {issuer} on behalf of the awarding bodies, members of {alliance}."
        ),
        "not_disclosed": "not shared",
        "hours": "{hours} hours",
        "partial": "Part of a larger qualification",
        "part_of": "Counts towards: {name}",
        "modules": "Modules",
        "module_result": "{module}: {result}",
        "module_assessed_by": "{module} (assessed by {bodies})",
        "checks_heading": "Checks",
        "technical": "Technical details (English)",
        "status_passed": "passed",
        "status_failed": "failed",
        "status_skipped": "not applicable",
        "check_well_formed": "Well-formed credential",
        "check_proof": "Digital signature",
        "check_issuer_key": "Issuer's key",
        "check_holder_key": "Holder's key",
        "check_validity": "Validity period",
        "check_status": "Not revoked or suspended",
        "check_issuer_trust": "Trusted issuer (alliance)",
        "check_completeness": "All mandatory information (EU Annex I)",
        "check_holder_binding": "Presented by its holder",
        "check_credentials": "Credentials in the presentation",
        "check_query": "The information asked for",
        "check_request": "The wallet's answer",
        "date_format": "{day} {month} {year}",
        "months": (
            "January|February|March|April|May|June|July|August|September|October|November|December"
        ),
        # shared links
        "share_title": "A shared micro-credential",
        "share_verifying": "Verifying the shared micro-credential…",
        "share_no_key": (
            "The link is incomplete: the part after “#” is missing. Ask the learner for the "
            "whole link, or scan their QR code."
        ),
        "share_noscript": (
            "Opening a shared link needs JavaScript. Without it, use the verifier page and "
            "upload a picture of the learner's QR code."
        ),
        "share_unavailable": (
            "This shared link is unknown, has expired, or the learner has withdrawn it."
        ),
        "share_disabled": "Shared links cannot be verified on this service.",
        "share_failed": "The shared link could not be verified. Try again later.",
        # errors
        "error_title": "Nothing could be verified",
        "back": "Back to the verifier page",
        "too_large": "The picture is larger than {mb} MB.",
        "bad_image": "The file is not a PNG or JPEG picture that can be read.",
        "too_many_pixels": "The picture has too many pixels (at most {megapixels} million).",
        "no_qr": "No QR code was found in the picture. Try a sharper, well-lit picture.",
        "no_file": "Choose a picture of the QR code first.",
        "qr_is_request": (
            "This QR code asks a wallet to share a credential (OpenID4VP). The learner scans it "
            "with their wallet; it is not a credential to verify here."
        ),
        "qr_is_offer": (
            "This QR code offers a credential to a wallet (OpenID4VCI). It is not a credential "
            "to verify."
        ),
        "qr_unknown": (
            "This QR code does not hold a link to a micro-credential shared through this service."
        ),
        "paste_empty": "Paste a credential first.",
        "paste_unreadable": "This is not a credential that can be read: {detail}",
        "rate_limited": "Too many requests from your network. Try again in {seconds} seconds.",
        "request_gone": "This verification request does not exist, or the link is incomplete.",
        "request_refused": "The request could not be created: {detail}",
        "bad_form": "The form was not sent completely. Reload the page and try again.",
    },
    "de": {
        "page_title": "Microcredential prüfen",
        "heading": "Ein Microcredential prüfen",
        "intro": (
            "Prüfen Sie, ob das Microcredential einer lernenden Person echt und gültig ist und "
            "von den Universitäten einer europäischen Allianz verliehen wurde. Fragen Sie die "
            "Wallet der Person an, scannen Sie den QR-Code, den sie Ihnen zeigt, oder fügen "
            "Sie den Nachweis ein."
        ),
        "language": "Sprache",
        "skip": "Zum Inhalt springen",
        "ask_heading": "Die Wallet der lernenden Person anfragen",
        "ask_intro": (
            "Die Seite zeigt einen QR-Code; die Person scannt ihn mit ihrer Wallet und "
            "entscheidet, ob sie das Microcredential mit Ihnen teilt."
        ),
        "alliance_label": "Microcredential der Allianz",
        "no_alliance": "Auf diesem Dienst ist noch keine Allianz eingerichtet.",
        "claims_legend": "Angefragte Angaben",
        "claims_hint": (
            "Fragen Sie nur an, was Sie brauchen. Der Name, die Note und die Art der "
            "Identitätsprüfung werden nur geteilt, wenn Sie sie anfragen. Wer mehr als die "
            "Person und den Titel anfragt, beschränkt die Anfrage auf SD-JWT-Wallets."
        ),
        "device_legend": "Wo ist die Wallet der lernenden Person?",
        "device_other": "Auf einem anderen Gerät (QR-Code zeigen)",
        "device_same": "Auf diesem Gerät (Wallet-App öffnen)",
        "ask_submit": "Anfrage erstellen",
        "scan_heading": "QR-Code der lernenden Person scannen",
        "scan_intro": (
            "Lernende können ein Microcredential als QR-Code teilen. Scannen Sie ihn mit der "
            "Kamera dieses Geräts oder laden Sie ein Bild davon hoch."
        ),
        "camera_start": "Mit der Kamera scannen",
        "camera_stop": "Kamera beenden",
        "camera_label": "Kameravorschau",
        "camera_looking": "Richten Sie die Kamera auf den QR-Code.",
        "camera_unavailable": (
            "Die Kamera kann hier nicht verwendet werden; laden Sie stattdessen ein Bild hoch."
        ),
        "upload_label": "Bild des QR-Codes (PNG oder JPEG, höchstens {mb} MB)",
        "upload_submit": "QR-Code prüfen",
        "paste_heading": "Nachweis einfügen",
        "paste_label": "Nachweis (JSON oder kompaktes JWT bzw. SD-JWT)",
        "paste_submit": "Nachweis prüfen",
        "request_title": "Warten auf die Wallet der lernenden Person",
        "request_intro": (
            "Bitten Sie die Person, diesen QR-Code mit ihrer Wallet-App zu scannen und das "
            "Microcredential zu teilen. Die Antwort erscheint unten."
        ),
        "qr_alt": "QR-Code der Prüfanfrage, für die Wallet-App der lernenden Person",
        "same_device_heading": "Wallet auf diesem Gerät?",
        "same_device_link": "In meiner Wallet-App öffnen",
        "same_device_hint": (
            "Nach dem Teilen führt die Wallet Sie mit dem Ergebnis zu diesem Dienst zurück."
        ),
        "expires_at": "Die Anfrage gilt bis {d:%H:%M} Uhr UTC und wird nur einmal beantwortet.",
        "waiting": "Warten auf die Antwort der Wallet …",
        "noscript_reload": (
            "Ohne JavaScript aktualisiert sich diese Seite nicht von selbst: Laden Sie sie neu, "
            "um die Antwort zu sehen."
        ),
        "check_now": "Nach der Antwort sehen",
        "new_request": "Einen weiteren Nachweis prüfen",
        "result_heading": "Ergebnis",
        "verified": "Geprüft",
        "not_verified": "Nicht bestätigt",
        "verified_body": (
            "Das Microcredential ist echt, gültig, weder widerrufen noch ausgesetzt, und die "
            "ausstellende Einrichtung ist ein vertrauenswürdiges Mitglied der Allianz."
        ),
        "not_verified_body": "Verlassen Sie sich nicht auf diesen Nachweis. Was fehlschlug:",
        "request_expired": (
            "Die Anfrage ist ohne Antwort abgelaufen. Erstellen Sie eine neue Anfrage."
        ),
        "wallet_declined": "Die Wallet der lernenden Person hat die Anfrage abgelehnt ({code}).",
        "answered_elsewhere": (
            "Die Wallet hat geantwortet. Das Ergebnis steht in dem Browserfenster, das die "
            "Wallet nach dem Teilen geöffnet hat."
        ),
        "no_credential": "Die Antwort enthält keinen lesbaren Nachweis.",
        "not_requested": "Die Person hat nicht geteilt: {claims}.",
        "credential_heading": "Das Microcredential",
        "credential_heading_n": "Microcredential {n}",
        "coordinating_provider": "Koordinierende Einrichtung",
        "issued_on_behalf": (
            "Ausgestellt von {issuer} im Namen der verleihenden Einrichtungen, Mitglieder von "
            "{alliance}."
        ),
        "not_disclosed": "nicht geteilt",
        "hours": "{hours} Stunden",
        "partial": "Teil einer umfassenderen Qualifikation",
        "part_of": "Anrechenbar auf: {name}",
        "modules": "Module",
        "module_result": "{module}: {result}",
        "module_assessed_by": "{module} (geprüft von {bodies})",
        "checks_heading": "Prüfungen",
        "technical": "Technische Details (Englisch)",
        "status_passed": "bestanden",
        "status_failed": "fehlgeschlagen",
        "status_skipped": "nicht anwendbar",
        "check_well_formed": "Formal korrekter Nachweis",
        "check_proof": "Digitale Signatur",
        "check_issuer_key": "Schlüssel der ausstellenden Einrichtung",
        "check_holder_key": "Schlüssel der Inhaberin oder des Inhabers",
        "check_validity": "Gültigkeitszeitraum",
        "check_status": "Weder widerrufen noch ausgesetzt",
        "check_issuer_trust": "Vertrauenswürdige Ausstellung (Allianz)",
        "check_completeness": "Alle Pflichtangaben (EU-Anhang I)",
        "check_holder_binding": "Von der Inhaberin oder dem Inhaber vorgelegt",
        "check_credentials": "Nachweise in der Präsentation",
        "check_query": "Die angefragten Angaben",
        "check_request": "Die Antwort der Wallet",
        "date_format": "{day}. {month} {year}",
        "months": (
            "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
        ),
        "share_title": "Ein geteiltes Microcredential",
        "share_verifying": "Das geteilte Microcredential wird geprüft …",
        "share_no_key": (
            "Der Link ist unvollständig: Der Teil nach „#“ fehlt. Bitten Sie die Person um den "
            "vollständigen Link, oder scannen Sie ihren QR-Code."
        ),
        "share_noscript": (
            "Zum Öffnen eines geteilten Links wird JavaScript benötigt. Ohne JavaScript laden "
            "Sie auf der Prüfseite ein Bild des QR-Codes der Person hoch."
        ),
        "share_unavailable": (
            "Dieser geteilte Link ist unbekannt, abgelaufen oder wurde von der Person "
            "zurückgezogen."
        ),
        "share_disabled": "Geteilte Links können auf diesem Dienst nicht geprüft werden.",
        "share_failed": (
            "Der geteilte Link konnte nicht geprüft werden. Versuchen Sie es später erneut."
        ),
        "error_title": "Es konnte nichts geprüft werden",
        "back": "Zurück zur Prüfseite",
        "too_large": "Das Bild ist größer als {mb} MB.",
        "bad_image": "Die Datei ist kein lesbares PNG- oder JPEG-Bild.",
        "too_many_pixels": "Das Bild hat zu viele Pixel (höchstens {megapixels} Millionen).",
        "no_qr": (
            "Im Bild wurde kein QR-Code gefunden. Versuchen Sie es mit einem schärferen, gut "
            "beleuchteten Bild."
        ),
        "no_file": "Wählen Sie zuerst ein Bild des QR-Codes aus.",
        "qr_is_request": (
            "Dieser QR-Code fordert eine Wallet auf, einen Nachweis zu teilen (OpenID4VP). Die "
            "lernende Person scannt ihn mit ihrer Wallet; hier ist er nicht zu prüfen."
        ),
        "qr_is_offer": (
            "Dieser QR-Code bietet einer Wallet einen Nachweis an (OpenID4VCI). Er ist kein "
            "Nachweis, der geprüft werden kann."
        ),
        "qr_unknown": (
            "Dieser QR-Code enthält keinen Link zu einem über diesen Dienst geteilten "
            "Microcredential."
        ),
        "paste_empty": "Fügen Sie zuerst einen Nachweis ein.",
        "paste_unreadable": "Das ist kein lesbarer Nachweis: {detail}",
        "rate_limited": (
            "Zu viele Anfragen aus Ihrem Netz. Versuchen Sie es in {seconds} Sekunden erneut."
        ),
        "request_gone": "Diese Prüfanfrage gibt es nicht, oder der Link ist unvollständig.",
        "request_refused": "Die Anfrage konnte nicht erstellt werden: {detail}",
        "bad_form": (
            "Das Formular kam nicht vollständig an. Laden Sie die Seite neu und versuchen Sie "
            "es erneut."
        ),
    },
    "fr": {
        "page_title": "Vérifier une micro-certification",
        "heading": "Vérifier une micro-certification",
        "intro": (
            "Vérifiez que la micro-certification d'un apprenant est authentique, valide et "
            "décernée par les universités d'une alliance européenne. Interrogez le portefeuille "
            "de l'apprenant, scannez le code QR qu'il vous montre ou collez la certification."
        ),
        "language": "Langue",
        "skip": "Aller au contenu",
        "ask_heading": "Interroger le portefeuille de l'apprenant",
        "ask_intro": (
            f"La page affiche un code QR{_NBSP}; l'apprenant le scanne avec son portefeuille et "
            "choisit de partager la micro-certification avec vous."
        ),
        "alliance_label": "Micro-certification de l'alliance",
        "no_alliance": "Aucune alliance n'est encore configurée sur ce service.",
        "claims_legend": "Informations demandées",
        "claims_hint": (
            "Ne demandez que ce dont vous avez besoin. Le nom de l'apprenant, la note et la "
            "façon dont son identité a été vérifiée ne sont partagés que si vous les demandez. "
            "Demander plus que l'apprenant et l'intitulé limite la demande aux portefeuilles "
            "SD-JWT."
        ),
        "device_legend": f"Où est le portefeuille de l'apprenant{_NBSP}?",
        "device_other": "Sur un autre appareil (afficher un code QR)",
        "device_same": "Sur cet appareil (ouvrir l'application de portefeuille)",
        "ask_submit": "Créer la demande",
        "scan_heading": "Scanner le code QR de l'apprenant",
        "scan_intro": (
            "Un apprenant peut partager une micro-certification sous forme de code QR. "
            "Scannez-le avec la caméra de cet appareil ou envoyez-en une image."
        ),
        "camera_start": "Scanner avec la caméra",
        "camera_stop": "Arrêter la caméra",
        "camera_label": "Aperçu de la caméra",
        "camera_looking": "Dirigez la caméra vers le code QR.",
        "camera_unavailable": (
            f"La caméra ne peut pas être utilisée ici{_NBSP}; envoyez plutôt une image."
        ),
        "upload_label": f"Image du code QR (PNG ou JPEG, {{mb}}{_NBSP}Mo au plus)",
        "upload_submit": "Vérifier le code QR",
        "paste_heading": "Coller une certification",
        "paste_label": "Certification (JSON, ou JWT ou SD-JWT compact)",
        "paste_submit": "Vérifier la certification",
        "request_title": "En attente du portefeuille de l'apprenant",
        "request_intro": (
            "Demandez à l'apprenant de scanner ce code QR avec son application de portefeuille "
            "et de partager la micro-certification. La réponse s'affiche ci-dessous."
        ),
        "qr_alt": (
            "Code QR de la demande de vérification, pour l'application de portefeuille de "
            "l'apprenant"
        ),
        "same_device_heading": f"Portefeuille sur cet appareil{_NBSP}?",
        "same_device_link": "Ouvrir dans mon application de portefeuille",
        "same_device_hint": (
            "Après le partage, le portefeuille vous ramène sur ce service avec le résultat."
        ),
        "expires_at": ("La demande est valable jusqu'à {d:%H:%M} UTC et ne reçoit qu'une réponse."),
        "waiting": "En attente de la réponse du portefeuille…",
        "noscript_reload": (
            f"Sans JavaScript, cette page ne se met pas à jour seule{_NBSP}: rechargez-la pour "
            "voir la réponse."
        ),
        "check_now": "Voir si la réponse est arrivée",
        "new_request": "Vérifier une autre certification",
        "result_heading": "Résultat",
        "verified": "Vérifiée",
        "not_verified": "Non vérifiée",
        "verified_body": (
            "La micro-certification est authentique, dans sa période de validité, ni révoquée "
            "ni suspendue, et son émetteur est un membre de confiance de l'alliance."
        ),
        "not_verified_body": (f"Ne vous fiez pas à cette certification. Ce qui a échoué{_NBSP}:"),
        "request_expired": "La demande a expiré sans réponse. Créez-en une nouvelle.",
        "wallet_declined": "Le portefeuille de l'apprenant a refusé la demande ({code}).",
        "answered_elsewhere": (
            "Le portefeuille a répondu. Le résultat s'affiche dans la fenêtre du navigateur que "
            "le portefeuille a ouverte après le partage."
        ),
        "no_credential": "La réponse ne contient aucune certification lisible.",
        "not_requested": f"L'apprenant n'a pas partagé{_NBSP}: {{claims}}.",
        "credential_heading": "La micro-certification",
        "credential_heading_n": "Micro-certification {n}",
        "coordinating_provider": "Établissement coordinateur",
        "issued_on_behalf": (
            "Émise par {issuer} au nom des organismes de délivrance, membres de {alliance}."
        ),
        "not_disclosed": "non partagé",
        "hours": f"{{hours}}{_NBSP}heures",
        "partial": "Fait partie d'une qualification plus large",
        "part_of": f"Compte pour{_NBSP}: {{name}}",
        "modules": "Modules",
        "module_result": f"{{module}}{_NBSP}: {{result}}",
        "module_assessed_by": "{module} (évalué par {bodies})",
        "checks_heading": "Contrôles",
        "technical": "Détails techniques (en anglais)",
        "status_passed": "réussi",
        "status_failed": "échoué",
        "status_skipped": "sans objet",
        "check_well_formed": "Certification bien formée",
        "check_proof": "Signature numérique",
        "check_issuer_key": "Clé de l'émetteur",
        "check_holder_key": "Clé du titulaire",
        "check_validity": "Période de validité",
        "check_status": "Ni révoquée ni suspendue",
        "check_issuer_trust": "Émetteur de confiance (alliance)",
        "check_completeness": "Toutes les informations obligatoires (annexe I de l'UE)",
        "check_holder_binding": "Présentée par son titulaire",
        "check_credentials": "Certifications de la présentation",
        "check_query": "Les informations demandées",
        "check_request": "La réponse du portefeuille",
        "date_format": "{day} {month} {year}",
        "months": "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
        "novembre|décembre",
        "share_title": "Une micro-certification partagée",
        "share_verifying": "Vérification de la micro-certification partagée…",
        "share_no_key": (
            f"Le lien est incomplet{_NBSP}: la partie après «{_NBSP}#{_NBSP}» manque. "
            "Demandez le lien complet à l'apprenant, ou scannez son code QR."
        ),
        "share_noscript": (
            "Ouvrir un lien partagé nécessite JavaScript. Sans JavaScript, utilisez la page de "
            "vérification et envoyez une image du code QR de l'apprenant."
        ),
        "share_unavailable": (
            "Ce lien partagé est inconnu, a expiré ou a été retiré par l'apprenant."
        ),
        "share_disabled": "Les liens partagés ne peuvent pas être vérifiés sur ce service.",
        "share_failed": "Le lien partagé n'a pas pu être vérifié. Réessayez plus tard.",
        "error_title": "Rien n'a pu être vérifié",
        "back": "Retour à la page de vérification",
        "too_large": f"L'image dépasse {{mb}}{_NBSP}Mo.",
        "bad_image": "Le fichier n'est pas une image PNG ou JPEG lisible.",
        "too_many_pixels": "L'image a trop de pixels ({megapixels} millions au plus).",
        "no_qr": (
            "Aucun code QR n'a été trouvé dans l'image. Essayez une image plus nette et bien "
            "éclairée."
        ),
        "no_file": "Choisissez d'abord une image du code QR.",
        "qr_is_request": (
            "Ce code QR demande à un portefeuille de partager une certification (OpenID4VP). "
            f"L'apprenant le scanne avec son portefeuille{_NBSP}; ce n'est pas une "
            "certification à vérifier ici."
        ),
        "qr_is_offer": (
            "Ce code QR propose une certification à un portefeuille (OpenID4VCI). Ce n'est pas "
            "une certification à vérifier."
        ),
        "qr_unknown": (
            "Ce code QR ne contient pas de lien vers une micro-certification partagée par ce "
            "service."
        ),
        "paste_empty": "Collez d'abord une certification.",
        "paste_unreadable": f"Ce n'est pas une certification lisible{_NBSP}: {{detail}}",
        "rate_limited": (
            f"Trop de demandes depuis votre réseau. Réessayez dans {{seconds}}{_NBSP}secondes."
        ),
        "request_gone": "Cette demande de vérification n'existe pas, ou le lien est incomplet.",
        "request_refused": f"La demande n'a pas pu être créée{_NBSP}: {{detail}}",
        "bad_form": ("Le formulaire n'a pas été envoyé en entier. Rechargez la page et réessayez."),
    },
}
