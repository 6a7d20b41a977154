"""No dead code in app/: vulture (a dev dependency), configured in pyproject.toml ([tool.vulture]), finds nothing."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_vulture_finds_no_unused_code():
    result = subprocess.run([sys.executable, "-m", "vulture"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
