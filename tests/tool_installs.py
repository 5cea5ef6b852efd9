"""Test-owned tools installed once into a folder of the tests, from committed pins:
npm packages by `npm ci` (package-lock.json), Python tools into a venv of their own
(requirements.txt) when their pins cannot join the service's environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INSTALL_TIMEOUT_S = 300


def npm_installed(folder: Path, package: str) -> Path:
    """`folder`/node_modules, after `npm ci` there unless `package` is installed already."""
    modules = folder / "node_modules"
    if not (modules / package).exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    return modules


def venv_installed(folder: Path, executable: str) -> Path:
    """The bin folder of `folder`/.venv, created from `folder`/requirements.txt unless
    `executable` is there already."""
    bin_dir = folder / ".venv" / "bin"
    if not (bin_dir / executable).exists():
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(folder / ".venv")],
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT_S,
        )
        subprocess.run(
            [str(bin_dir / "pip"), "install", "-q", "-r", str(folder / "requirements.txt")],
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    return bin_dir
