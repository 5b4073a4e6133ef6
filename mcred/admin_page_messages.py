"""The texts of the coordinator's admin pages (:mod:`mcred.admin_page`), one catalogue per
language.

Every language has the same keys and the same ``{placeholders}``; a test holds them together.
Texts are plain text (the page escapes them), so a translator never writes markup. The pages
speak the languages of the learner's offer page
(:data:`mcred.offer_page_messages.LANGUAGE_NAMES`). ``event_<action>`` names an audit event
(an action without a text is shown as its code); ``state_<state>`` a credential's state.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MESSAGES"]

_NBSP = "\u00a0"  # French puts a no-break space before ':' ';' '?' '!' and inside guillemets

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "site": "mcred administration",
        "language": "Language",
        "skip": "Skip to the content",
        "nav_label": "Administration",
        "nav_credentials": "Credentials",
        "nav_cohorts": "Cohorts",
        "role_admin": "administrator",
        "role_coordinator": "coordinator",
        "signed_in_admin": "Signed in as {label} ({role}, all alliances)",
        "signed_in_coordinator": "Signed in as {label} ({role} of {alliance})",
        "logout": "Sign out",
        "logged_out": "You are signed out.",
        # signing in
        "login_title": "Sign in",
        "login_heading": "Sign in to mcred administration",
        "login_intro": (
            "Sign in with your API key. The key itself is never stored in your browser: the "
            "session ends after eight hours, when you sign out, or when the key is revoked."
        ),
        "login_key": "API key",
        "login_hint": "It starts with mcred_. Ask your administrator if you have none.",
        "login_submit": "Sign in",
        "login_wrong": "This API key is unknown or has been revoked.",
        "login_limited": "Too many attempts. Please wait {seconds} seconds and try again.",
        "session_ended": "Your session has ended or is not valid. Please sign in again.",
        # refusals
        "forbidden_title": "Not allowed",
        "forbidden": "Your key does not allow this: it acts for another alliance.",
        "not_found_title": "Not found",
        "not_found": "There is nothing here: the credential or job does not exist.",
        "cross_site_title": "Refused",
        "cross_site": "This form was sent from another site, so nothing was done.",
        "csrf_title": "Refused",
        "csrf": (
            "This form is out of date or did not come from this page, so nothing was done. "
            "Reload the page and try again."
        ),
        "bad_form_title": "Refused",
        "bad_form": "The form could not be read, so nothing was done.",
        "conflict_title": "Not possible",
        "refused_title": "Refused",
        "refused_detail": "Nothing was done: {detail}",
        "back_to_search": "Back to the credentials",
        "back_to_credential": "Back to the credential",
        # search
        "search_title": "Issued credentials",
        "search_heading": "Search",
        "field_alliance": "Alliance",
        "field_specification": "Micro-credential (specification)",
        "field_learner": "Learner reference",
        "field_learner_hint": "The student number or e-mail the credential was issued to, exactly.",
        "field_issued_from": "Issued from (date)",
        "field_issued_until": "Issued until (date)",
        "field_status": "Status",
        "any": "Any",
        "search_submit": "Search",
        "results_heading": "Results",
        "results_caption": "{count} credentials, newest first",
        "no_results": "No credential matches this search.",
        "next_page": "Next page",
        "first_page": "Back to the first page",
        "bad_date": "A date is not valid: use the form YYYY-MM-DD.",
        "bad_status": "Choose a status from the list.",
        "col_learner": "Learner reference",
        "col_specification": "Micro-credential",
        "col_alliance": "Alliance",
        "col_issued": "Issued",
        "col_status": "Status",
        "state_active": "Active",
        "state_suspended": "Suspended",
        "state_revoked": "Revoked",
        # one credential
        "credential_title": "Credential of {learner}",
        "fact_learner": "Learner reference",
        "fact_specification": "Micro-credential",
        "fact_alliance": "Alliance",
        "fact_status": "Status",
        "fact_issued": "Issued",
        "fact_issued_by": "Issued by",
        "fact_formats": "Formats",
        "fact_id": "Credential id",
        "actions_heading": "Change its status",
        "reason_label": "Reason (kept in the audit history)",
        "reason_required": "Give a reason of at most {max} characters.",
        "action_suspend_heading": "Suspend",
        "action_suspend_hint": "Verifiers see it as suspended until it is reinstated.",
        "action_suspend_submit": "Suspend the credential",
        "action_reinstate_heading": "Reinstate",
        "action_reinstate_hint": "Lifts the suspension: the credential is valid again.",
        "action_reinstate_submit": "Reinstate the credential",
        "action_revoke_heading": "Revoke",
        "action_revoke_hint": "Revocation is final: it cannot be undone.",
        "action_revoke_submit": "Revoke the credential",
        "revoked_final": "This credential is revoked. Revocation is final: it cannot change.",
        "done_suspend": "The credential is suspended.",
        "done_reinstate": "The credential is reinstated.",
        "done_revoke": "The credential is revoked.",
        "conflict_revoked": (
            "This credential is revoked, and revocation is final: it cannot be reinstated or "
            "suspended. Nothing was changed."
        ),
        "conflict_suspended": "This credential is already suspended. Nothing was changed.",
        "conflict_not_suspended": (
            "This credential is not suspended, so it cannot be reinstated. Nothing was changed."
        ),
        "history_heading": "Audit history",
        "history_caption": "Every event of this credential, newest first",
        "col_when": "When",
        "col_event": "Event",
        "col_actor": "By",
        "col_reason": "Reason",
        "col_details": "Details",
        "event_issued": "Issued",
        "event_suspended": "Suspended",
        "event_reinstated": "Reinstated",
        "event_revoked": "Revoked",
        "event_notification": "Wallet notification",
        "event_share_created": "Share link made",
        "event_share_revoked": "Share link withdrawn",
        # offers
        "offer_heading": "Offer it to the learner's wallet",
        "offer_intro": (
            "Makes a single-use link for the learner's wallet app (OpenID4VCI) and a page for "
            "the learner with its QR code. Send the PIN by another channel than the link."
        ),
        "offer_pin": "Protect the offer with a PIN",
        "offer_submit": "Make an offer",
        "offer_made_title": "Offer made",
        "offer_made": "The offer is ready. It can be used once, until {when}.",
        "offer_pin_heading": "The PIN",
        "offer_pin_once": (
            "This PIN is shown only now: note it and send it to the learner by another "
            "channel than the link (for example by text message)."
        ),
        "offer_no_pin": "This offer needs no PIN.",
        "offer_page_heading": "The learner's page",
        "offer_page_intro": "Send this page to the learner: it shows the QR code and the steps.",
        "offer_link_heading": "The wallet link",
        "offer_link_label": "Link for a wallet app (openid-credential-offer)",
        "offer_qr_alt": "QR code of the wallet link of this offer",
        "offer_refused": "No offer can be made: {detail}",
        # certificates
        "certificate_heading": "Certificate (PDF)",
        "certificate_intro": (
            "A printable certificate with a QR code to verify it; the signed credential is "
            "attached to the PDF. Each download makes a new share link."
        ),
        "certificate_link": "Download the certificate in {language}",
        "certificate_unavailable": "Only an active credential has a certificate.",
        # cohorts
        "cohorts_title": "Cohorts",
        "cohorts_intro": (
            "Issue the micro-credential of a whole cohort at once from a file, and make an "
            "offer for each learner."
        ),
        "cohort_file": "Cohort file (CSV)",
        "cohort_file_hint": "One learner a line; at most {mb} MB.",
        "cohort_submit": "Upload and start",
        "cohort_missing": "Choose an alliance, a specification and a file.",
        "cohort_too_large": "The file is too large: at most {mb} MB.",
        "cohort_title": "Cohort job",
        "cohort_progress_label": "Progress",
        "cohort_progress": "{processed} of {total} processed",
        "cohort_running": "Working. This page updates by itself.",
        "cohort_finished": "Finished.",
        "cohort_poll_failed": "The progress could not be read. Reload the page.",
        "cohort_noscript": "This page does not update by itself without JavaScript.",
        "cohort_reload": "Reload",
        "cohort_offers_csv": "Download the offers (CSV)",
        "cohort_offers_hint": (
            "The file holds each learner's offer link and PIN: keep it safe and delete it "
            "once sent."
        ),
        "count_total": "Learners in the file",
        "count_done": "Issued and offered",
        "count_failed": "Failed",
        "count_invalid": "Invalid lines",
        "count_remaining": "Remaining",
    },
    "de": {
        "site": "mcred-Verwaltung",
        "language": "Sprache",
        "skip": "Zum Inhalt springen",
        "nav_label": "Verwaltung",
        "nav_credentials": "Nachweise",
        "nav_cohorts": "Kohorten",
        "role_admin": "Administration",
        "role_coordinator": "Koordination",
        "signed_in_admin": "Angemeldet als {label} ({role}, alle Allianzen)",
        "signed_in_coordinator": "Angemeldet als {label} ({role} von {alliance})",
        "logout": "Abmelden",
        "logged_out": "Sie sind abgemeldet.",
        "login_title": "Anmelden",
        "login_heading": "Bei der mcred-Verwaltung anmelden",
        "login_intro": (
            "Melden Sie sich mit Ihrem API-Schlüssel an. Der Schlüssel selbst wird nie in "
            "Ihrem Browser gespeichert: Die Sitzung endet nach acht Stunden, beim Abmelden "
            "oder wenn der Schlüssel widerrufen wird."
        ),
        "login_key": "API-Schlüssel",
        "login_hint": (
            "Er beginnt mit mcred_. Fragen Sie Ihre Administration, wenn Sie keinen haben."
        ),
        "login_submit": "Anmelden",
        "login_wrong": "Dieser API-Schlüssel ist unbekannt oder wurde widerrufen.",
        "login_limited": (
            "Zu viele Versuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es erneut."
        ),
        "session_ended": (
            "Ihre Sitzung ist abgelaufen oder ungültig. Bitte melden Sie sich erneut an."
        ),
        "forbidden_title": "Nicht erlaubt",
        "forbidden": "Ihr Schlüssel erlaubt das nicht: Er handelt für eine andere Allianz.",
        "not_found_title": "Nicht gefunden",
        "not_found": "Hier ist nichts: Der Nachweis oder Auftrag existiert nicht.",
        "cross_site_title": "Abgelehnt",
        "cross_site": "Dieses Formular kam von einer anderen Website; es wurde nichts getan.",
        "csrf_title": "Abgelehnt",
        "csrf": (
            "Dieses Formular ist veraltet oder stammt nicht von dieser Seite; es wurde nichts "
            "getan. Laden Sie die Seite neu und versuchen Sie es erneut."
        ),
        "bad_form_title": "Abgelehnt",
        "bad_form": "Das Formular konnte nicht gelesen werden; es wurde nichts getan.",
        "conflict_title": "Nicht möglich",
        "refused_title": "Abgelehnt",
        "refused_detail": "Es wurde nichts getan: {detail}",
        "back_to_search": "Zurück zu den Nachweisen",
        "back_to_credential": "Zurück zum Nachweis",
        "search_title": "Ausgestellte Nachweise",
        "search_heading": "Suche",
        "field_alliance": "Allianz",
        "field_specification": "Microcredential (Spezifikation)",
        "field_learner": "Kennung der lernenden Person",
        "field_learner_hint": (
            "Die Matrikelnummer oder E-Mail-Adresse, für die der Nachweis ausgestellt wurde, "
            "genau so."
        ),
        "field_issued_from": "Ausgestellt ab (Datum)",
        "field_issued_until": "Ausgestellt bis (Datum)",
        "field_status": "Status",
        "any": "Alle",
        "search_submit": "Suchen",
        "results_heading": "Ergebnisse",
        "results_caption": "{count} Nachweise, die neuesten zuerst",
        "no_results": "Kein Nachweis passt zu dieser Suche.",
        "next_page": "Nächste Seite",
        "first_page": "Zurück zur ersten Seite",
        "bad_date": "Ein Datum ist ungültig: Verwenden Sie die Form JJJJ-MM-TT.",
        "bad_status": "Wählen Sie einen Status aus der Liste.",
        "col_learner": "Kennung der lernenden Person",
        "col_specification": "Microcredential",
        "col_alliance": "Allianz",
        "col_issued": "Ausgestellt",
        "col_status": "Status",
        "state_active": "Gültig",
        "state_suspended": "Ausgesetzt",
        "state_revoked": "Widerrufen",
        "credential_title": "Nachweis von {learner}",
        "fact_learner": "Kennung der lernenden Person",
        "fact_specification": "Microcredential",
        "fact_alliance": "Allianz",
        "fact_status": "Status",
        "fact_issued": "Ausgestellt",
        "fact_issued_by": "Ausgestellt von",
        "fact_formats": "Formate",
        "fact_id": "Kennung des Nachweises",
        "actions_heading": "Status ändern",
        "reason_label": "Grund (wird im Prüfprotokoll festgehalten)",
        "reason_required": "Geben Sie einen Grund mit höchstens {max} Zeichen an.",
        "action_suspend_heading": "Aussetzen",
        "action_suspend_hint": (
            "Prüfende sehen ihn als ausgesetzt, bis er wieder in Kraft gesetzt wird."
        ),
        "action_suspend_submit": "Nachweis aussetzen",
        "action_reinstate_heading": "Wieder in Kraft setzen",
        "action_reinstate_hint": "Hebt die Aussetzung auf: Der Nachweis ist wieder gültig.",
        "action_reinstate_submit": "Nachweis wieder in Kraft setzen",
        "action_revoke_heading": "Widerrufen",
        "action_revoke_hint": "Ein Widerruf ist endgültig: Er lässt sich nicht rückgängig machen.",
        "action_revoke_submit": "Nachweis widerrufen",
        "revoked_final": (
            "Dieser Nachweis ist widerrufen. Ein Widerruf ist endgültig: Der Status kann sich "
            "nicht mehr ändern."
        ),
        "done_suspend": "Der Nachweis ist ausgesetzt.",
        "done_reinstate": "Der Nachweis ist wieder in Kraft.",
        "done_revoke": "Der Nachweis ist widerrufen.",
        "conflict_revoked": (
            "Dieser Nachweis ist widerrufen, und ein Widerruf ist endgültig: Er kann weder "
            "wieder in Kraft gesetzt noch ausgesetzt werden. Es wurde nichts geändert."
        ),
        "conflict_suspended": "Dieser Nachweis ist bereits ausgesetzt. Es wurde nichts geändert.",
        "conflict_not_suspended": (
            "Dieser Nachweis ist nicht ausgesetzt und kann daher nicht wieder in Kraft gesetzt "
            "werden. Es wurde nichts geändert."
        ),
        "history_heading": "Prüfprotokoll",
        "history_caption": "Alle Ereignisse dieses Nachweises, die neuesten zuerst",
        "col_when": "Wann",
        "col_event": "Ereignis",
        "col_actor": "Durch",
        "col_reason": "Grund",
        "col_details": "Einzelheiten",
        "event_issued": "Ausgestellt",
        "event_suspended": "Ausgesetzt",
        "event_reinstated": "Wieder in Kraft gesetzt",
        "event_revoked": "Widerrufen",
        "event_notification": "Meldung der Wallet",
        "event_share_created": "Teilen-Link erstellt",
        "event_share_revoked": "Teilen-Link zurückgezogen",
        "offer_heading": "Der Wallet der lernenden Person anbieten",
        "offer_intro": (
            "Erstellt einen einmal nutzbaren Link für die Wallet-App der lernenden Person "
            "(OpenID4VCI) und eine Seite mit dem QR-Code. Senden Sie die PIN auf einem anderen "
            "Weg als den Link."
        ),
        "offer_pin": "Das Angebot mit einer PIN schützen",
        "offer_submit": "Angebot erstellen",
        "offer_made_title": "Angebot erstellt",
        "offer_made": "Das Angebot ist bereit. Es kann einmal genutzt werden, bis {when}.",
        "offer_pin_heading": "Die PIN",
        "offer_pin_once": (
            "Diese PIN wird nur jetzt angezeigt: Notieren Sie sie und senden Sie sie der "
            "lernenden Person auf einem anderen Weg als den Link (zum Beispiel per SMS)."
        ),
        "offer_no_pin": "Dieses Angebot braucht keine PIN.",
        "offer_page_heading": "Die Seite für die lernende Person",
        "offer_page_intro": (
            "Senden Sie diese Seite der lernenden Person: Sie zeigt den QR-Code und die Schritte."
        ),
        "offer_link_heading": "Der Wallet-Link",
        "offer_link_label": "Link für eine Wallet-App (openid-credential-offer)",
        "offer_qr_alt": "QR-Code des Wallet-Links dieses Angebots",
        "offer_refused": "Es kann kein Angebot erstellt werden: {detail}",
        "certificate_heading": "Zertifikat (PDF)",
        "certificate_intro": (
            "Ein druckbares Zertifikat mit einem QR-Code zur Prüfung; der signierte Nachweis "
            "ist dem PDF angehängt. Jeder Download erstellt einen neuen Teilen-Link."
        ),
        "certificate_link": "Zertifikat auf {language} herunterladen",
        "certificate_unavailable": "Nur ein gültiger Nachweis hat ein Zertifikat.",
        "cohorts_title": "Kohorten",
        "cohorts_intro": (
            "Stellen Sie das Microcredential einer ganzen Kohorte auf einmal aus einer Datei "
            "aus und erstellen Sie für jede lernende Person ein Angebot."
        ),
        "cohort_file": "Kohortendatei (CSV)",
        "cohort_file_hint": "Eine lernende Person pro Zeile; höchstens {mb} MB.",
        "cohort_submit": "Hochladen und starten",
        "cohort_missing": "Wählen Sie eine Allianz, eine Spezifikation und eine Datei.",
        "cohort_too_large": "Die Datei ist zu groß: höchstens {mb} MB.",
        "cohort_title": "Kohortenauftrag",
        "cohort_progress_label": "Fortschritt",
        "cohort_progress": "{processed} von {total} bearbeitet",
        "cohort_running": "In Arbeit. Diese Seite aktualisiert sich selbst.",
        "cohort_finished": "Fertig.",
        "cohort_poll_failed": (
            "Der Fortschritt konnte nicht gelesen werden. Laden Sie die Seite neu."
        ),
        "cohort_noscript": "Ohne JavaScript aktualisiert sich diese Seite nicht selbst.",
        "cohort_reload": "Neu laden",
        "cohort_offers_csv": "Angebote herunterladen (CSV)",
        "cohort_offers_hint": (
            "Die Datei enthält den Angebotslink und die PIN jeder lernenden Person: Bewahren Sie "
            "sie sicher auf und löschen Sie sie nach dem Versand."
        ),
        "count_total": "Lernende in der Datei",
        "count_done": "Ausgestellt und angeboten",
        "count_failed": "Fehlgeschlagen",
        "count_invalid": "Ungültige Zeilen",
        "count_remaining": "Verbleibend",
    },
    "fr": {
        "site": "administration mcred",
        "language": "Langue",
        "skip": "Aller au contenu",
        "nav_label": "Administration",
        "nav_credentials": "Certifications",
        "nav_cohorts": "Cohortes",
        "role_admin": "administrateur",
        "role_coordinator": "coordinateur",
        "signed_in_admin": "Connecté en tant que {label} ({role}, toutes les alliances)",
        "signed_in_coordinator": "Connecté en tant que {label} ({role} de {alliance})",
        "logout": "Se déconnecter",
        "logged_out": "Vous êtes déconnecté.",
        "login_title": "Connexion",
        "login_heading": "Se connecter à l'administration mcred",
        "login_intro": (
            f"Connectez-vous avec votre clé d'API. La clé elle-même n'est jamais conservée "
            f"dans votre navigateur{_NBSP}: la session prend fin après huit heures, à la "
            f"déconnexion ou lorsque la clé est révoquée."
        ),
        "login_key": "Clé d'API",
        "login_hint": (
            "Elle commence par mcred_. Demandez-en une à votre administrateur si vous n'en "
            "avez pas."
        ),
        "login_submit": "Se connecter",
        "login_wrong": "Cette clé d'API est inconnue ou a été révoquée.",
        "login_limited": (
            "Trop de tentatives. Veuillez attendre {seconds} secondes puis réessayer."
        ),
        "session_ended": (
            "Votre session a pris fin ou n'est pas valable. Veuillez vous connecter à nouveau."
        ),
        "forbidden_title": "Non autorisé",
        "forbidden": (f"Votre clé ne le permet pas{_NBSP}: elle agit pour une autre alliance."),
        "not_found_title": "Introuvable",
        "not_found": (f"Il n'y a rien ici{_NBSP}: la certification ou la tâche n'existe pas."),
        "cross_site_title": "Refusé",
        "cross_site": f"Ce formulaire a été envoyé depuis un autre site{_NBSP}; rien n'a été fait.",
        "csrf_title": "Refusé",
        "csrf": (
            f"Ce formulaire est périmé ou ne vient pas de cette page{_NBSP}; rien n'a été "
            "fait. Rechargez la page et réessayez."
        ),
        "bad_form_title": "Refusé",
        "bad_form": f"Le formulaire n'a pas pu être lu{_NBSP}; rien n'a été fait.",
        "conflict_title": "Impossible",
        "refused_title": "Refusé",
        "refused_detail": f"Rien n'a été fait{_NBSP}: {{detail}}",
        "back_to_search": "Retour aux certifications",
        "back_to_credential": "Retour à la certification",
        "search_title": "Certifications délivrées",
        "search_heading": "Recherche",
        "field_alliance": "Alliance",
        "field_specification": "Micro-certification (spécification)",
        "field_learner": "Référence de l'apprenant",
        "field_learner_hint": (
            "Le numéro d'étudiant ou l'adresse e-mail pour lesquels la certification a été "
            "délivrée, à l'identique."
        ),
        "field_issued_from": "Délivrée à partir du (date)",
        "field_issued_until": "Délivrée jusqu'au (date)",
        "field_status": "Statut",
        "any": "Tous",
        "search_submit": "Rechercher",
        "results_heading": "Résultats",
        "results_caption": "{count} certifications, les plus récentes d'abord",
        "no_results": "Aucune certification ne correspond à cette recherche.",
        "next_page": "Page suivante",
        "first_page": "Retour à la première page",
        "bad_date": f"Une date n'est pas valable{_NBSP}: utilisez la forme AAAA-MM-JJ.",
        "bad_status": "Choisissez un statut dans la liste.",
        "col_learner": "Référence de l'apprenant",
        "col_specification": "Micro-certification",
        "col_alliance": "Alliance",
        "col_issued": "Délivrée",
        "col_status": "Statut",
        "state_active": "Valable",
        "state_suspended": "Suspendue",
        "state_revoked": "Révoquée",
        "credential_title": "Certification de {learner}",
        "fact_learner": "Référence de l'apprenant",
        "fact_specification": "Micro-certification",
        "fact_alliance": "Alliance",
        "fact_status": "Statut",
        "fact_issued": "Délivrée le",
        "fact_issued_by": "Délivrée par",
        "fact_formats": "Formats",
        "fact_id": "Identifiant de la certification",
        "actions_heading": "Changer son statut",
        "reason_label": "Motif (conservé dans l'historique d'audit)",
        "reason_required": "Indiquez un motif d'au plus {max} caractères.",
        "action_suspend_heading": "Suspendre",
        "action_suspend_hint": (
            "Les vérificateurs la voient suspendue jusqu'à ce qu'elle soit rétablie."
        ),
        "action_suspend_submit": "Suspendre la certification",
        "action_reinstate_heading": "Rétablir",
        "action_reinstate_hint": (
            f"Lève la suspension{_NBSP}: la certification est de nouveau valable."
        ),
        "action_reinstate_submit": "Rétablir la certification",
        "action_revoke_heading": "Révoquer",
        "action_revoke_hint": f"La révocation est définitive{_NBSP}: elle ne peut être annulée.",
        "action_revoke_submit": "Révoquer la certification",
        "revoked_final": (
            f"Cette certification est révoquée. La révocation est définitive{_NBSP}: son "
            "statut ne peut plus changer."
        ),
        "done_suspend": "La certification est suspendue.",
        "done_reinstate": "La certification est rétablie.",
        "done_revoke": "La certification est révoquée.",
        "conflict_revoked": (
            f"Cette certification est révoquée, et la révocation est définitive{_NBSP}: elle "
            "ne peut être ni rétablie ni suspendue. Rien n'a été modifié."
        ),
        "conflict_suspended": "Cette certification est déjà suspendue. Rien n'a été modifié.",
        "conflict_not_suspended": (
            "Cette certification n'est pas suspendue et ne peut donc pas être rétablie. Rien "
            "n'a été modifié."
        ),
        "history_heading": "Historique d'audit",
        "history_caption": "Tous les événements de cette certification, les plus récents d'abord",
        "col_when": "Quand",
        "col_event": "Événement",
        "col_actor": "Par",
        "col_reason": "Motif",
        "col_details": "Détails",
        "event_issued": "Délivrée",
        "event_suspended": "Suspendue",
        "event_reinstated": "Rétablie",
        "event_revoked": "Révoquée",
        "event_notification": "Notification du portefeuille",
        "event_share_created": "Lien de partage créé",
        "event_share_revoked": "Lien de partage retiré",
        "offer_heading": "La proposer au portefeuille de l'apprenant",
        "offer_intro": (
            "Crée un lien à usage unique pour l'application portefeuille de l'apprenant "
            "(OpenID4VCI) et une page avec son code QR. Envoyez le code PIN par un autre canal "
            "que le lien."
        ),
        "offer_pin": "Protéger l'offre par un code PIN",
        "offer_submit": "Créer une offre",
        "offer_made_title": "Offre créée",
        "offer_made": "L'offre est prête. Elle peut être utilisée une fois, jusqu'au {when}.",
        "offer_pin_heading": "Le code PIN",
        "offer_pin_once": (
            f"Ce code PIN n'est affiché que maintenant{_NBSP}: notez-le et envoyez-le à "
            "l'apprenant par un autre canal que le lien (par exemple par SMS)."
        ),
        "offer_no_pin": "Cette offre ne demande pas de code PIN.",
        "offer_page_heading": "La page de l'apprenant",
        "offer_page_intro": (
            f"Envoyez cette page à l'apprenant{_NBSP}: elle montre le code QR et les étapes."
        ),
        "offer_link_heading": "Le lien pour le portefeuille",
        "offer_link_label": "Lien pour une application portefeuille (openid-credential-offer)",
        "offer_qr_alt": "Code QR du lien pour le portefeuille de cette offre",
        "offer_refused": f"Aucune offre ne peut être créée{_NBSP}: {{detail}}",
        "certificate_heading": "Certificat (PDF)",
        "certificate_intro": (
            f"Un certificat imprimable avec un code QR pour le vérifier{_NBSP}; la "
            "certification signée est jointe au PDF. Chaque téléchargement crée un nouveau "
            "lien de partage."
        ),
        "certificate_link": "Télécharger le certificat en {language}",
        "certificate_unavailable": "Seule une certification valable a un certificat.",
        "cohorts_title": "Cohortes",
        "cohorts_intro": (
            "Délivrez en une fois la micro-certification de toute une cohorte à partir d'un "
            "fichier, et créez une offre pour chaque apprenant."
        ),
        "cohort_file": "Fichier de la cohorte (CSV)",
        "cohort_file_hint": f"Un apprenant par ligne{_NBSP}; au plus {{mb}}{_NBSP}Mo.",
        "cohort_submit": "Téléverser et lancer",
        "cohort_missing": "Choisissez une alliance, une spécification et un fichier.",
        "cohort_too_large": f"Le fichier est trop volumineux{_NBSP}: au plus {{mb}}{_NBSP}Mo.",
        "cohort_title": "Tâche de cohorte",
        "cohort_progress_label": "Progression",
        "cohort_progress": "{processed} sur {total} traités",
        "cohort_running": "En cours. Cette page se met à jour toute seule.",
        "cohort_finished": "Terminé.",
        "cohort_poll_failed": "La progression n'a pas pu être lue. Rechargez la page.",
        "cohort_noscript": "Sans JavaScript, cette page ne se met pas à jour toute seule.",
        "cohort_reload": "Recharger",
        "cohort_offers_csv": "Télécharger les offres (CSV)",
        "cohort_offers_hint": (
            f"Le fichier contient le lien d'offre et le code PIN de chaque apprenant{_NBSP}: "
            "conservez-le en lieu sûr et supprimez-le une fois envoyé."
        ),
        "count_total": "Apprenants dans le fichier",
        "count_done": "Délivrées et proposées",
        "count_failed": "Échecs",
        "count_invalid": "Lignes non valables",
        "count_remaining": "Restants",
    },
}
