import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the tools installed beside this interpreter (nbdev_export, asm-wb, ...)


@pytest.fixture
def root():
    return ROOT


# --- headless Chromium for the browser tests ------------------------------------------------------------------------
# Debian's chromium (`apt-get install chromium`; `make test` installs it when run as root), driven by playwright's
# Python package through `executable_path`: no tool ever downloads a browser of its own. The flags keep Chromium off the
# network by itself (no background updates, sync or first-run pages), so a test sees only the requests its page makes.
import os
import shutil

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps"]


def chromium_path():
    "The Chromium binary: $CHROMIUM, else Debian's /usr/bin/chromium; None when there is none."
    for cand in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if cand and Path(cand).is_file(): return cand
    return None


@pytest.fixture(scope="session")
def browser():
    "A headless Chromium (playwright Browser). Skips with the fix when Chromium is missing; under CI a missing browser fails."
    exe = chromium_path()
    if exe is None:
        msg = "no Chromium: install Debian's chromium (apt-get install chromium; `make test` does it as root) or set $CHROMIUM"
        if os.environ.get("CI"): pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
