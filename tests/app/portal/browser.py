"""Browser-test helpers: a real uvicorn on 127.0.0.1, Debian's Chromium through
Playwright, axe-core (npm ci into a test-owned folder) and screenshots of every page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.tool_installs import npm_installed

HERE = Path(__file__).parent
NODE = HERE / "node"
AXE = NODE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def axe_script() -> Path:
    """axe-core, installed once by `npm ci` from the committed lock file."""
    npm_installed(NODE, "axe-core")
    return AXE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(
    database_url: str,
    secret_key: str,
    *,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`flexben serve` as a subprocess (runs execute in-process: embedded runner)."""
    port = port or free_port()
    env = {
        **os.environ,
        "FLEXBEN_DATABASE_URL": database_url,
        "FLEXBEN_SECRET_KEY": secret_key,
        "FLEXBEN_ENVIRONMENT": "test",
        "FLEXBEN_JOB_RUNNER": "embedded",
        "FLEXBEN_JOB_POLL_SECONDS": "0.2",
        "FLEXBEN_RATE_LIMIT_PER_MINUTE": "0",
        "FLEXBEN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from app.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            time.sleep(0.1)
        yield base
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


OIDC = HERE / "oidc"


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[str]:
    """A real OpenID Connect provider (npm oidc-provider, `npm ci` into a test-owned
    folder) on 127.0.0.1; yields its issuer URL."""
    npm_installed(OIDC, "oidc-provider")
    port = free_port()
    process = subprocess.Popen(
        ["node", "provider.mjs", str(port), redirect_uri],
        cwd=OIDC,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield issuer
    finally:
        _stop(process)


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations of the page (WCAG 2.1 A/AA rules)."""
    page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return list(found)


def snap(page: Any, name: str, backend: str) -> None:
    """Screenshot the page (gitignored folder) and require 0 serious axe violations."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{backend}-{name}.png"), full_page=True)
    found = serious_violations(page)
    assert found == [], (name, found)
