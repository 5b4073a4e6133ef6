"""``mcred serve --workers 2``: two processes behind one port act as one service (their
short-lived state lives in the database), so an offer made through one is redeemed once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from mcred.app import DEV_ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}"}
ISSUANCE = {
    "alliance": "arqus",
    "specification": "sustainable-urban-mobility",
    "learner": {"given_name": "Ada", "family_name": "Lovelace", "learner_ref": "s-1815"},
    "result": {"date_of_issue": "2026-11-20T10:00:00Z", "grade": "A"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_two_workers_serve_one_service(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCRED_")}
    env.update(MCRED_DATA_DIR=str(tmp_path / "data"), MCRED_PUBLIC_URL=f"http://localhost:{port}")
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "mcred.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as client:
            issued = client.post("/api/v1/credentials", json=ISSUANCE)
            assert issued.status_code == 201, issued.text
            offer = client.post(f"/api/v1/credentials/{issued.json()['id']}/offers").json()
            code = client.get(offer["credential_offer_uri"].replace(f"http://localhost:{port}", ""))
            grant = code.json()["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
            form = {
                "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                "pre-authorized_code": grant["pre-authorized_code"],
                "tx_code": offer["tx_code"],
            }
            # several fresh connections: the two workers share the accept socket
            answers = [httpx.post(f"{base}/oid4vci/token", data=form, timeout=30) for _ in range(4)]
        assert [a.status_code for a in answers].count(200) == 1
        assert all(
            a.json().get("error") == "invalid_grant" for a in answers if a.status_code != 200
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
