import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the tools installed beside this interpreter (nbdev_export, asm-wb, ...)


@pytest.fixture
def root():
    return ROOT
