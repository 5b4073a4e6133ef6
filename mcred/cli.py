"""The ``mcred`` command line (typer + rich)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from mcred.app import build_services, create_app
from mcred.settings import Settings
from vc_core.keys import KeyType
from vc_core.model.completeness import check_completeness

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
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Run the HTTP service (embedded default: SQLite and key file under MCRED_DATA_DIR)."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    application = create_app(settings)
    services = application.state.services
    console.print(f"[bold]mcred[/bold] {application.version} on http://{host}:{port}")
    console.print(f"  issuer DID   {services.identity.did}")
    console.print(f"  DID document {settings.public_url}/.well-known/did.json")
    console.print(f"  API docs     http://{host}:{port}/docs")
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def did() -> None:
    """Print the coordinating provider's DID document."""
    services = build_services(Settings())
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
    services = build_services(Settings())
    table = Table("fragment", "type", "created", "retired", "public key")
    for key in services.keys.list_keys():
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
    services = build_services(Settings())
    key = services.keys.rotate(kind)
    console.print(f"new {kind.value} key [bold]{key.fragment}[/bold]; earlier keys stay listed")


if __name__ == "__main__":  # pragma: no cover
    app()
