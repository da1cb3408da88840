"""A short soak (issue 8): gunicorn + the task worker + locust on loopback, then every write checked.

Runs benchmarks/soak.py for 15 s with 4 users in a subprocess. It uses a SQLite file of its own,
or the fresh PostgreSQL database named in SOAK_DATABASE_URL (created and dropped by the script);
never the suite's DATABASE_URL.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.soak
def test_short_soak_has_no_server_errors_and_loses_no_writes():
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DEBUG")}
    command = [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--duration", "15", "--users", "4"]
    if os.environ.get("SOAK_DATABASE_URL"):
        command += ["--database-url", os.environ["SOAK_DATABASE_URL"]]

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)

    output = result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines, output
    assert lines[-1].startswith("soak: "), output  # the machine-readable summary
    figures = dict(re.findall(r"(\w+)=(\S+)", lines[-1]))
    assert int(figures["requests"]) > 0, output
    assert figures["errors_5xx"] == "0", output
    assert figures["lost_writes"] == "0", output
    assert int(figures["writes_acked"]) > 0, output
    assert result.returncode == 0, output
