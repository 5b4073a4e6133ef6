"""The ``mcred`` command line (typer + rich)."""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from issuer.api_keys import Principal, Role
from issuer.catalogue import load_alliance_file
from issuer.cohort import (
    DEFAULT_LEASE,
    MAX_COHORT_BYTES,
    CohortBusy,
    CohortCounts,
    CohortInvalid,
    CohortJob,
    CohortProblem,
    CohortRow,
    CohortService,
    JobState,
    RowState,
)
from issuer.errors import IssuerError
from mcred.app import Services, build_services, create_app, freeze_start_up_objects
from mcred.certificate import (
    MAX_PDF_BYTES,
    SUPPORTED_LANGUAGES,
    CertificateService,
    PdfVerification,
    verify_pdf,
)
from mcred.cohorts import (
    build_cohort_service,
    make_offers,
    run_in_processes,
    worker_pool,
    write_offers_csv,
)
from mcred.demo.learner import DemoNotSeeded, demo_credential, issue_demo_credential
from mcred.mailer import Mailer, OfferMail, SmtpConfig, SmtpConfigError
from mcred.offer_page import offer_qr
from mcred.offers import TX_CODE_LENGTH, CredentialOfferCreated
from mcred.settings import Settings
from mcred.shares import DEFAULT_TTL, CreatedShare
from vc_core.errors import VcCoreError
from vc_core.keys import KeyType
from vc_core.model.completeness import check_completeness
from wallet_bridge.errors import WalletBridgeError

__all__ = ["app"]

app = typer.Typer(
    name="mcred",
    help="Issue, deliver and verify joint European micro-credentials as W3C Verifiable "
    "Credentials. Configuration comes from MCRED_* environment variables (see README).",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="The coordinating provider's signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
apikey_app = typer.Typer(help="Bearer API keys for the admin API.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
alliance_app = typer.Typer(help="Alliances: partners, courses, mandates.", no_args_is_help=True)
app.add_typer(alliance_app, name="alliance")
demo_app = typer.Typer(
    help="Try mcred with the demo alliance (seeded in development).", no_args_is_help=True
)
app.add_typer(demo_app, name="demo")
cohort_app = typer.Typer(
    help="Issue a whole cohort's credentials from a results file (docs/cohort-format.md).",
    no_args_is_help=True,
)
app.add_typer(cohort_app, name="cohort")
console = Console()
err_console = Console(stderr=True)
CLI = Principal("cli", Role.ADMIN, None, "command line")


def _services() -> Services:
    return build_services(Settings())


def _fail(error: IssuerError | VcCoreError | WalletBridgeError) -> typer.Exit:
    """Print an error the way the API would word it (on stderr), and exit 1."""
    if isinstance(error, WalletBridgeError):
        code, message = error.error, error.description
    else:
        code, message = error.code, error.message
    err_console.print(f"[red]error[/red] ({code}): {escape(message)}", highlight=False)
    return typer.Exit(1)


def _plain(text: str) -> None:
    """Print ``text`` as it is: no markup, no highlighting, and links never wrapped."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _make_offer(
    services: Services, credential_id: str, *, pin: bool = True, by_value: bool = False
) -> CredentialOfferCreated:
    """An OpenID4VCI offer of a credential the issuer holds (errors: issuer's or bridge's)."""
    services.issuer.get(CLI, credential_id)  # NotFound names the credential
    created = services.wallet_bridge.create_offer(
        credential_id,
        by_reference=not by_value,
        tx_code_length=TX_CODE_LENGTH if pin else None,
    )
    return CredentialOfferCreated.of(created, services.settings.public_url)


def _show_offer(offer: CredentialOfferCreated, *, qr: bool = True, indent: str = "") -> None:
    """The offer for a person at a terminal: link, PIN, page, expiry and a QR code."""
    expires = f"{offer.expires_at:%Y-%m-%d %H:%M} UTC"
    _plain(f"{indent}offer page    {offer.offer_page_url}")
    _plain(f"{indent}offer link    {offer.offer_url}")
    if offer.tx_code is not None:
        _plain(f"{indent}PIN           {offer.tx_code}   (send it by another channel)")
    else:
        _plain(f"{indent}PIN           none")
    _plain(f"{indent}valid until   {expires} (single use)")
    if qr:
        out = io.StringIO()
        offer_qr(offer.offer_url).terminal(out=out, compact=True)
        typer.echo(out.getvalue(), nl=False)


def _offer_json(offer: CredentialOfferCreated, credential_id: str) -> dict[str, Any]:
    return {**offer.model_dump(mode="json"), "credential_id": credential_id}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            envvar="MCRED_WORKERS",
            help="Worker processes (short-lived state is shared through the database or Redis)",
        ),
    ] = 1,
) -> None:
    """Run the HTTP service (embedded default: SQLite under MCRED_DATA_DIR, demo alliance)."""
    settings = Settings()
    application = create_app(settings)
    services: Services = application.state.services
    console.print(f"[bold]mcred[/bold] {application.version} on http://{host}:{port}")
    if workers > 1:
        console.print(f"  workers       {workers}")
    console.print(f"  issuer DID    {services.identity.did}")
    console.print(f"  DID document  {settings.public_url}/.well-known/did.json")
    console.print(f"  API docs      http://{host}:{port}/docs")
    console.print(f"  alliances     {', '.join(services.issuer.alliance_ids()) or '-'}")
    if services.admin_token is not None:
        console.print(
            f"  dev admin key {services.admin_token}   (development only)", soft_wrap=True
        )
    if settings.seed_demo:
        _show_demo_offer(services)
    if workers == 1:
        freeze_start_up_objects()
        uvicorn.run(
            application, host=host, port=port, log_level="info", access_log=settings.access_log
        )
        return
    services.close()  # the start-up chores are done; each worker builds its own services
    uvicorn.run(
        "mcred.app:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=settings.access_log,
    )


def _show_demo_offer(services: Services) -> None:
    """A ready offer for the demo learner (one credential, reused across restarts)."""
    try:
        credential_id = demo_credential(services.issuer)
        offer = _make_offer(services, credential_id)
    except (DemoNotSeeded, IssuerError, VcCoreError, WalletBridgeError) as exc:
        err_console.print(f"  demo offer    not available: {exc}", markup=False, highlight=False)
        return
    console.print("  [bold]try a wallet[/bold] (demo learner; a new offer at every start)")
    _plain(f"  credential    {credential_id}")
    _show_offer(offer, qr=False, indent="  ")


@app.command()
def did() -> None:
    """Print the coordinating provider's DID document."""
    services = _services()
    typer.echo(json.dumps(services.identity.did_document(), indent=2))


@app.command()
def elements(
    path: Annotated[Path, typer.Argument(help="An ELM/EDC credential (JSON or JSON-LD)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Check which of the 11 mandatory (and 5 optional) Annex I elements a credential carries.

    Exits 1 when a mandatory element is missing.
    """
    try:
        credential = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}", param_hint="PATH") from None
    if not isinstance(credential, dict):
        raise typer.BadParameter("a credential is a JSON object", param_hint="PATH")
    report = check_completeness(credential)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        table = Table("element", "required", "present", "where", "value")
        for item in report.elements:
            table.add_row(
                item.element.value,
                "yes" if item.mandatory else "optional",
                "[green]yes[/green]" if item.present else "[red]no[/red]",
                item.path or "-",
                (item.value or "-")[:60],
            )
        console.print(table)
        verdict = "complete" if report.complete else "missing: " + ", ".join(report.missing)
        console.print(f"Annex I: {verdict}")
    raise typer.Exit(0 if report.complete else 1)


@keys_app.command("list")
def keys_list() -> None:
    """List signing keys (public parts only), active and retired."""
    services = _services()
    table = Table("fragment", "type", "created", "retired", "public key")
    for key in services.identity.list_keys():
        table.add_row(
            key.fragment,
            key.key_type.value,
            key.created.isoformat(timespec="seconds"),
            key.retired_at.isoformat(timespec="seconds") if key.retired_at else "-",
            key.private_key.public_key.multikey,
        )
    console.print(table)


@keys_app.command("rotate")
def keys_rotate(
    key_type: Annotated[str, typer.Option("--type", help="Ed25519 or P-256")] = "Ed25519",
) -> None:
    """Make a new signing key; the old one stays in the DID document to verify old credentials."""
    try:
        kind = KeyType(key_type)
    except ValueError:
        raise typer.BadParameter("use Ed25519 or P-256", param_hint="--type") from None
    services = _services()
    key = services.identity.rotate(kind)
    console.print(f"new {kind.value} key [bold]{key.fragment}[/bold]; earlier keys stay listed")


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="admin or coordinator")],
    alliance: Annotated[str | None, typer.Option(help="The alliance of a coordinator")] = None,
    label: Annotated[str, typer.Option(help="What the key is for")] = "",
) -> None:
    """Create an API key and print its token (shown once; only its hash is stored)."""
    if role not in (Role.ADMIN, Role.COORDINATOR):
        raise typer.BadParameter("use admin or coordinator", param_hint="--role")
    try:
        key, token = _services().api_keys.create(role, alliance_id=alliance, label=label)
    except IssuerError as exc:
        raise _fail(exc) from None
    console.print(f"key {key.key_id} ({key.role}{', ' + alliance if alliance else ''})")
    typer.echo(token)


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Revoke an API key."""
    try:
        _services().api_keys.revoke(key_id)
    except IssuerError as exc:
        raise _fail(exc) from None
    console.print(f"revoked {key_id}")


@alliance_app.command("load")
def alliance_load(
    path: Annotated[Path, typer.Argument(help="An alliance file (YAML or JSON)")],
) -> None:
    """Load (or replace) an alliance; sign the declared mandates of hosted partners."""
    try:
        alliance = load_alliance_file(path)
        signed = _services().issuer.load_alliance(alliance, CLI)
    except (IssuerError, VcCoreError) as exc:
        raise _fail(exc) from None
    console.print(f"loaded {alliance.alliance.id}: {len(signed)} mandate(s) signed")


def _change(action: str, credential_id: str, reason: str) -> None:
    issuer = _services().issuer
    change = {"revoke": issuer.revoke, "suspend": issuer.suspend, "reinstate": issuer.reinstate}
    try:
        issued = change[action](CLI, credential_id, reason)
    except IssuerError as exc:
        raise _fail(exc) from None
    console.print(f"{credential_id}: {issued.state.value}")


Reason = Annotated[str, typer.Option(help="Why (kept in the audit trail)")]
CredentialId = Annotated[str, typer.Argument(help="The credential's id (urn:uuid:…)")]


NoPin = Annotated[
    bool, typer.Option("--no-pin", help="An offer without a PIN (tx_code): the link alone")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else")]


@app.command()
def offer(
    credential_id: CredentialId,
    no_pin: NoPin = False,
    by_value: Annotated[
        bool,
        typer.Option(
            "--by-value", help="Put the whole offer in the link (credential_offer, a larger QR)"
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Make an OpenID4VCI credential offer: link, PIN, the learner's page and a QR code.

    Send the learner the page (or the link) and, by another channel, the PIN.
    """
    services = _services()
    try:
        made = _make_offer(services, credential_id, pin=not no_pin, by_value=by_value)
    except (IssuerError, WalletBridgeError) as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(_offer_json(made, credential_id), indent=2))
        return
    _plain(f"credential    {credential_id}")
    _show_offer(made)


def _share_json(share: CreatedShare) -> dict[str, Any]:
    return {
        "share_id": share.share_id,
        "credential_id": share.credential_id,
        "format": share.format,
        "share_url": share.url,
        "expires_at": f"{share.expires_at:%Y-%m-%dT%H:%M:%SZ}",
        "qr_version": int(offer_qr(share.url).version),
    }


@app.command()
def share(
    credential_id: CredentialId,
    credential_format: Annotated[
        str | None,
        typer.Option("--format", help="ldp_vc (default when issued so) or jwt_vc_json"),
    ] = None,
    ttl_days: Annotated[
        int, typer.Option("--ttl-days", min=1, help="Days the share link works")
    ] = DEFAULT_TTL.days,
    as_json: AsJson = False,
) -> None:
    """Make a share link of a credential for a learner's QR code (any phone camera opens it).

    The link carries the key that opens the share; it is shown only now (the service keeps
    only the encrypted credential). Revoke it with DELETE /api/v1/shares/<share_id>.
    """
    services = _services()
    try:
        made = services.shares.create_share(
            CLI, credential_id, credential_format=credential_format, ttl=timedelta(days=ttl_days)
        )
    except (IssuerError, VcCoreError) as exc:
        raise _fail(exc) from None
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps(_share_json(made), indent=2))
        return
    _plain(f"credential    {credential_id}   ({made.format})")
    _plain(f"share link    {made.url}")
    _plain(f"share id      {made.share_id}   (to revoke it)")
    _plain(f"valid until   {made.expires_at:%Y-%m-%d %H:%M} UTC")
    out = io.StringIO()
    offer_qr(made.url).terminal(out=out, compact=True)
    typer.echo(out.getvalue(), nl=False)


@demo_app.command("offer")
def demo_offer(no_pin: NoPin = False, as_json: AsJson = False) -> None:
    """Issue a fresh demo credential to a demo learner and make an offer of it.

    With --json, prints exactly {"offer_url", "tx_code", "credential_id"}.
    """
    services = _services()
    try:
        credential_id = issue_demo_credential(services.issuer)
        made = _make_offer(services, credential_id, pin=not no_pin)
    except DemoNotSeeded as exc:
        err_console.print(
            f"[red]error[/red] (demo_not_seeded): {escape(str(exc))}", highlight=False
        )
        raise typer.Exit(1) from None
    except (IssuerError, VcCoreError, WalletBridgeError) as exc:
        raise _fail(exc) from None
    if as_json:
        body = {"offer_url": made.offer_url, "tx_code": made.tx_code}
        typer.echo(json.dumps({**body, "credential_id": credential_id}))
        return
    _plain(f"credential    {credential_id}   (demo learner)")
    _show_offer(made)


@app.command()
def revoke(credential_id: CredentialId, reason: Reason) -> None:
    """Revoke a credential for good (every format of it)."""
    _change("revoke", credential_id, reason)


@app.command()
def suspend(credential_id: CredentialId, reason: Reason) -> None:
    """Suspend a credential (reversible)."""
    _change("suspend", credential_id, reason)


@app.command()
def reinstate(credential_id: CredentialId, reason: Reason) -> None:
    """Lift a suspension."""
    _change("reinstate", credential_id, reason)


@app.command()
def certificate(
    credential_id: CredentialId,
    lang: Annotated[
        str,
        typer.Option("--lang", help=f"The learner's language: {', '.join(SUPPORTED_LANGUAGES)}"),
    ] = "en",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the PDF ('-': standard output; default: "
            "micro-credential-<id>-<lang>.pdf here)",
        ),
    ] = None,
) -> None:
    """Print a credential's PDF certificate: every Annex I element, a QR code to verify it,
    and the signed credential attached (so the PDF alone verifies: mcred verify-pdf).

    Each certificate makes a new share link for its QR code (revocable like any share).
    """
    services = _services()
    try:
        made = CertificateService(issuer=services.issuer, shares=services.shares).certificate(
            CLI, credential_id, lang=lang
        )
    except (IssuerError, VcCoreError) as exc:
        raise _fail(exc) from None
    finally:
        services.close()
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(made.pdf)
        sys.stdout.buffer.flush()
        return
    target = output or Path(made.filename)
    try:
        target.write_bytes(made.pdf)
    except OSError as exc:
        raise typer.BadParameter(f"cannot write {target}: {exc}", param_hint="--output") from None
    _plain(f"certificate   {target}   ({len(made.pdf)} bytes, {made.lang})")
    _plain(f"QR link       share {made.share_id}, valid until {made.share_expires_at:%Y-%m-%d} UTC")


def _show_pdf_verification(verification: PdfVerification) -> None:
    for found in verification.credentials:
        report = found.report
        if report is None:  # pragma: no cover - credentials have reports
            continue
        verdict = "[green]verified[/green]" if report.verified else "[red]NOT verified[/red]"
        console.print(
            f"{escape(found.filename)} ({escape(found.media_type or '?')}, {report.format}): "
            f"{verdict}",
            highlight=False,
        )
        table = Table("check", "status", "message")
        for check in report.checks:
            colour = {"passed": "green", "failed": "red"}.get(check.status.value, "yellow")
            table.add_row(
                check.name.value,
                f"[{colour}]{check.status.value}[/{colour}]",
                escape(check.message),
            )
        console.print(table)
    for ignored in verification.files:
        if ignored.report is None:
            _plain(f"{ignored.filename}: ignored ({ignored.ignored})")
    console.print(
        "PDF: [green]verified[/green]" if verification.verified else "PDF: [red]NOT verified[/red]"
    )


@app.command("verify-pdf")
def verify_pdf_command(
    path: Annotated[Path, typer.Argument(help="A PDF certificate with an embedded credential")],
    as_json: AsJson = False,
) -> None:
    """Verify the credential embedded in a PDF certificate, without its QR link.

    Exits 0 when every embedded credential verified, 1 otherwise.
    """
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PDF_BYTES + 1)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}", param_hint="PATH") from None
    services = _services()
    try:
        verification = verify_pdf(services.verifier, data)
    except VcCoreError as exc:
        raise _fail(exc) from None
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps(verification.to_dict(), indent=2, ensure_ascii=False))
    else:
        _show_pdf_verification(verification)
    raise typer.Exit(0 if verification.verified else 1)


# -- cohorts ------------------------------------------------------------------------------------

CohortFile = Annotated[Path, typer.Argument(help="The cohort's results (CSV or JSON)")]
AllianceOption = Annotated[str, typer.Option("--alliance", help="The alliance's id")]
SpecOption = Annotated[str, typer.Option("--spec", help="The specification (course) id")]


def _read_cohort(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(MAX_COHORT_BYTES + 1)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}", param_hint="FILE") from None


def _show_problems(problems: Sequence[CohortProblem], *, limit: int = 200) -> None:
    table = Table("row", "column", "problem")
    for problem in problems[:limit]:
        table.add_row(str(problem.row), escape(problem.column), escape(problem.message))
    err_console.print(table)
    if len(problems) > limit:
        err_console.print(f"… and {len(problems) - limit} more")


def _show_counts(job_id: str, counts: CohortCounts) -> None:
    console.print(
        f"job {job_id}: {counts.issued} issued, {counts.failed} failed, "
        f"{counts.invalid} invalid, {counts.remaining} remaining (of {counts.total})",
        highlight=False,
    )


def _show_unissued(rows: Sequence[CohortRow]) -> None:
    if not rows:
        return
    table = Table("row", "learner", "state", "reason")
    for row in rows:
        table.add_row(
            str(row.number), escape(row.learner_ref), row.state.value, escape(row.error or "")
        )
    err_console.print(table)


@cohort_app.command("validate")
def cohort_validate(
    path: CohortFile, alliance: AllianceOption, spec: SpecOption, as_json: AsJson = False
) -> None:
    """Check every row of a cohort file; list each problem by row and column (exit 1 if any)."""
    content = _read_cohort(path)
    services = _services()
    try:
        checked = build_cohort_service(services).validate(CLI, alliance, spec, content)
    except IssuerError as exc:
        raise _fail(exc) from None
    finally:
        services.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "rows": checked.total,
                    "valid": len(checked.valid),
                    "invalid_rows": list(checked.invalid_rows),
                    "problems": [p.to_dict() for p in checked.problems],
                },
                indent=2,
            )
        )
    elif checked.problems:
        _show_problems(checked.problems)
    if not as_json:
        console.print(
            f"{checked.total} row(s): {len(checked.valid)} valid, "
            f"{len(checked.invalid_rows)} invalid",
            highlight=False,
        )
    raise typer.Exit(1 if checked.problems else 0)


def _issue_with_progress(
    services: Services,
    cohorts: CohortService,
    job: CohortJob,
    processes: int,
    pool: Any,
) -> CohortCounts:
    counts = cohorts.jobs.counts(job.id)
    with Progress(
        TextColumn("[bold]issuing[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        task = progress.add_task("issue", total=counts.total, completed=counts.done, failed=0)

        def show(now: CohortCounts) -> None:
            progress.update(task, completed=now.done, failed=now.failed)

        def waiting(other: CohortJob) -> None:
            show(cohorts.jobs.counts(job.id))
            progress.console.print(
                f"another run holds the job (lease until {other.lease_expires_at:%H:%M:%S} "
                "UTC): waiting",
                highlight=False,
            )

        if processes > 1:
            while True:
                try:
                    counts = run_in_processes(
                        cohorts,
                        services.settings,
                        CLI,
                        job.id,
                        processes=processes,
                        pool=pool,
                        on_progress=show,
                    )
                    break
                except CohortBusy as busy:
                    waiting(busy.job)
                    time.sleep(1.0)
                    if cohorts.job(CLI, job.id).state is JobState.FINISHED:
                        counts = cohorts.jobs.counts(job.id)
                        break
        else:
            counts = cohorts.wait_and_run(
                CLI,
                job.id,
                on_chunk=lambda _n: show(cohorts.jobs.counts(job.id)),
                on_wait=waiting,
            )
        show(counts)
    return counts


@cohort_app.command("issue")
def cohort_issue(  # noqa: PLR0917 - typer passes options as parameters
    path: CohortFile,
    alliance: AllianceOption,
    spec: SpecOption,
    processes: Annotated[
        int, typer.Option("--processes", min=1, max=64, help="Processes that sign in parallel")
    ] = 1,
    offers: Annotated[
        Path | None,
        typer.Option(
            "--offers",
            help="Append an offer per issued learner without one to this CSV (learner, "
            "offer link, PIN, page); the PINs are shown only there",
        ),
    ] = None,
    email: Annotated[
        bool,
        typer.Option("--email", help="E-mail each learner their offer page and PIN (MCRED_SMTP_*)"),
    ] = False,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Issue the valid rows even if some rows are invalid"),
    ] = False,
    lease_seconds: Annotated[
        float,
        typer.Option(
            "--lease-seconds",
            min=1.0,
            help="How soon a re-run may take over from a run that died",
        ),
    ] = DEFAULT_LEASE.total_seconds(),
) -> None:
    """Issue a credential to every learner of a cohort file, once (re-runs issue nothing new,
    and resume after a crash). Exit 1 when a row failed or was invalid."""
    content = _read_cohort(path)
    services = _services()
    mailer: Mailer | None = None
    if email:
        try:
            mailer = Mailer(SmtpConfig.from_settings(services.settings))
        except SmtpConfigError as exc:
            services.close()
            raise typer.BadParameter(str(exc), param_hint="--email") from None
    cohorts = build_cohort_service(services, lease=timedelta(seconds=lease_seconds))
    pool = None
    try:
        try:
            job = cohorts.submit(CLI, alliance, spec, content, skip_invalid=skip_invalid)
        except CohortInvalid as exc:
            _show_problems(exc.problems)
            raise _fail(exc) from None
        except IssuerError as exc:
            raise _fail(exc) from None
        console.print(f"cohort job [bold]{job.id}[/bold] ({job.total} row(s))", highlight=False)
        if job.state is JobState.FINISHED:
            counts = cohorts.jobs.counts(job.id)  # issued before: nothing new
        else:
            if processes > 1:
                pool = worker_pool(services.settings, processes, lease_seconds)
            try:
                counts = _issue_with_progress(services, cohorts, job, processes, pool)
            except IssuerError as exc:
                raise _fail(exc) from None
        _show_counts(job.id, counts)
        _show_unissued(cohorts.jobs.rows(job.id, [RowState.FAILED, RowState.INVALID]))
        if offers is not None or mailer is not None:
            _deliver_offers(services, cohorts, job, path=offers, mailer=mailer, pool=pool)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        services.close()
    raise typer.Exit(1 if counts.failed or counts.invalid else 0)


def _deliver_offers(
    services: Services,
    cohorts: CohortService,
    job: CohortJob,
    *,
    path: Path | None,
    mailer: Mailer | None,
    pool: Any,
) -> None:
    batch = make_offers(cohorts, services, CLI, job.id, pool=pool)
    if batch.renewed:
        err_console.print(
            "every issued learner had an offer already: these are new offers (the earlier "
            "ones work until they expire)",
            highlight=False,
        )
    if path is not None:
        fresh = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8", newline="") as out:
            written = write_offers_csv(out, batch.offers, header=fresh)
        console.print(f"{written} offer(s) appended to {path} (the PINs are only there)")
    if mailer is not None:
        title = services.issuer.alliance(job.alliance_id).specification(job.specification_id).title
        report = mailer.send_offers(
            OfferMail(
                to=offer.email,
                name=offer.name,
                course=title,
                page_url=offer.offer_page_url,
                pin=offer.tx_code,
                expires_at=f"{offer.expires_at:%Y-%m-%d %H:%M} UTC",
                language=offer.language,
            )
            for offer in batch.offers
            if offer.email
        )
        console.print(f"{len(report.sent)} e-mail(s) sent, {len(report.failed)} refused")
        for recipient, reason in report.failed:
            err_console.print(f"  refused {escape(recipient)}: {escape(reason)}")


@cohort_app.command("status")
def cohort_status(
    job_id: Annotated[str, typer.Argument(help="The cohort job's id (cj_…)")],
    as_json: AsJson = False,
    rows: Annotated[bool, typer.Option("--rows", help="List every row's state")] = False,
) -> None:
    """A cohort job's progress: issued, failed, invalid and remaining rows."""
    services = _services()
    try:
        cohorts = build_cohort_service(services)
        job = cohorts.job(CLI, job_id)
        counts = cohorts.jobs.counts(job_id)
        listed = cohorts.jobs.rows(job_id) if rows or as_json else []
    except IssuerError as exc:
        raise _fail(exc) from None
    finally:
        services.close()
    if as_json:
        body = {
            "id": job.id,
            "alliance": job.alliance_id,
            "specification": job.specification_id,
            "state": job.state.value,
            "counts": {**counts.__dict__, "done": counts.done, "remaining": counts.remaining},
            "rows": [
                {
                    "row": r.number,
                    "learner_ref": r.learner_ref,
                    "state": r.state.value,
                    "credential_id": r.credential_id,
                    "error": r.error,
                }
                for r in listed
            ],
        }
        typer.echo(json.dumps(body, indent=2))
        return
    console.print(f"{job.alliance_id} / {job.specification_id}: {job.state.value}", highlight=False)
    _show_counts(job.id, counts)
    if rows:
        table = Table("row", "learner", "state", "credential / reason")
        for r in listed:
            table.add_row(
                str(r.number),
                escape(r.learner_ref),
                r.state.value,
                escape(r.credential_id or r.error or ""),
            )
        console.print(table)


if __name__ == "__main__":  # pragma: no cover
    app()
