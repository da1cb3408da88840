"""How many signed GitHub webhook deliveries one gunicorn sync worker accepts per second.

Runs gunicorn (1 worker) on loopback against a throwaway SQLite database, sends N signed
`issues.labeled` deliveries from a few client threads, and prints deliveries/s and latency.
Usage: uv run python benchmarks/webhook_throughput.py [N]
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from integrations.webhooks import sign  # noqa: E402

SECRET = "benchmark-secret"
PAYLOAD = json.loads((ROOT / "tests/integrations/payloads/issues.labeled.payload.json").read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(deliveries: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"),
        "STATIC_ROOT": str(workdir / "static"),
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "platformhub.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/integrations/github/webhook"
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        bodies = []
        for number in range(deliveries):
            body = dict(PAYLOAD)
            body["issue"] = {
                **PAYLOAD["issue"],
                "number": number + 1,
                "url": PAYLOAD["issue"]["url"][:-1] + str(number + 1),
            }
            bodies.append(json.dumps(body).encode())
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        def send(index: int) -> None:
            with httpx.Client(timeout=10) as client:
                for position in range(index, deliveries, 4):
                    raw = bodies[position]
                    started = time.perf_counter()
                    response = client.post(
                        url,
                        content=raw,
                        headers={
                            "Content-Type": "application/json",
                            "X-GitHub-Event": "issues",
                            "X-GitHub-Delivery": f"bench-{position}",
                            "X-Hub-Signature-256": sign(secret=SECRET, body=raw),
                        },
                    )
                    latencies.append(time.perf_counter() - started)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(send, range(4)))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    database = env["DATABASE_URL"].split(":", 1)[0]
    print(f"deliveries: {deliveries} from 4 client threads to 1 gunicorn sync worker on {database}")
    print(f"statuses: {statuses}")
    print(f"throughput: {deliveries / elapsed:.0f} deliveries/s")
    print(f"latency: median {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
