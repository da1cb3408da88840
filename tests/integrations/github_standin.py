"""A stand-in for the parts of GitHub's REST API that PlatformHub uses, served over real HTTP.

It runs `http.server.ThreadingHTTPServer` on 127.0.0.1 (a free port) in a daemon thread, keeps
issues in memory and answers like GitHub does:

- GET /repos/{owner}/{repo}/issues/{number}: the issue with a strong ETag computed from its
  content; 304 when If-None-Match matches; 404 with GitHub's error body for unknown issues;
  301 to the new address for a transferred one (`move_issue`).
- GET /search/issues?q=…&per_page=…&page=…: {"total_count", "incomplete_results", "items"} for a
  tiny subset of the search syntax (ANDed `repo:owner/name`, `label:x` or `label:"x y"`,
  `is:open`/`is:closed`, `state:…`, `is:issue`, `no:label` and bare words matched in titles),
  paginated with absolute `Link` URLs as GitHub sends them. Anything else is a 422.

Faults can be queued to come before normal handling (`fail`, `rate_limit`, `too_many_requests`,
`stall`), each once, a number of times or forever, for every path or only some; every request
is logged (`requests`). Plain standard library: the benchmark imports it without pytest.

    with GitHubStandIn() as github:
        github.add_issue("octo/app", 1, title="Fix the build", labels=["points:3"])
        client = GitHubClient(base_url=github.url, token="t0ken")
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
import shlex
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlsplit

FOREVER = None  # `times=FOREVER`: the fault never runs out
DEFAULT_TIME = "2022-10-03T09:00:00Z"
_ISSUE_PATH = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/issues/(?P<number>\d+)$")
_DOCS = "https://docs.github.com/rest"


def issue_json(
    repo: str,
    number: int,
    *,
    title: str,
    state: str = "open",
    labels: Iterable[str] = (),
    assignees: Iterable[str] = (),
    milestone: str | None = None,
    created_at: str = DEFAULT_TIME,
    updated_at: str = DEFAULT_TIME,
    closed_at: str | None = None,
    base_url: str = "https://api.github.com",
    html_base_url: str = "https://github.com",
    pull_request: bool = False,
) -> dict:
    """An issue object shaped like GitHub's (the fields PlatformHub reads, and a few more).

    A closed issue without `closed_at` is taken to have closed at `updated_at`."""
    if state not in ("open", "closed"):
        raise ValueError(f"state must be open or closed, not {state!r}")
    owner, name = repo.split("/")
    api = f"{base_url.rstrip('/')}/repos/{owner}/{name}"
    issue_id = zlib.crc32(f"{repo.lower()}#{number}".encode()) + 100_000_000
    user = {"login": "octocat", "id": 583231, "type": "User", "site_admin": False}
    data = {
        "url": f"{api}/issues/{number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{number}/comments",
        "events_url": f"{api}/issues/{number}/events",
        "html_url": f"{html_base_url.rstrip('/')}/{owner}/{name}/issues/{number}",
        "id": issue_id,
        "node_id": f"I_kwDO{issue_id:x}",
        "number": number,
        "title": title,
        "user": user,
        "labels": [_label(name, api) for name in labels],
        "state": state,
        "state_reason": "completed" if state == "closed" else None,
        "locked": False,
        "assignee": None,
        "assignees": [_user(login) for login in assignees],
        "milestone": None,
        "comments": 0,
        "created_at": created_at,
        "updated_at": updated_at,
        "closed_at": (closed_at or updated_at) if state == "closed" else None,
        "author_association": "MEMBER",
        "active_lock_reason": None,
        "body": f"{title}.",
    }
    if data["assignees"]:
        data["assignee"] = data["assignees"][0]
    if milestone:
        data["milestone"] = {"url": f"{api}/milestones/1", "id": 1, "number": 1, "title": milestone, "state": "open"}
    if pull_request:
        data["pull_request"] = {
            "url": f"{api}/pulls/{number}",
            "html_url": f"{html_base_url.rstrip('/')}/{owner}/{name}/pull/{number}",
        }
    return data


def _label(name: str, api: str) -> dict:
    return {
        "id": zlib.crc32(name.encode()),
        "url": f"{api}/labels/{quote(name)}",
        "name": name,
        "color": "ededed",
        "default": False,
        "description": None,
    }


def _user(login: str) -> dict:
    return {"login": login, "id": zlib.crc32(login.encode()), "type": "User", "site_admin": False}


@dataclass
class Fault:
    """A canned answer given instead of (or, with only a delay, before) the normal one."""

    status: int | None = None  # None: after `delay`, answer normally
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | str | None = None
    delay: float = 0.0
    path: str | None = None  # a regular expression searched in the path; None for every request
    times: int | None = 1  # None (FOREVER): never used up

    def matches(self, path: str) -> bool:
        return self.path is None or re.search(self.path, path) is not None


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    answered: int | None = None  # the status answered; None until then, or when it could not be sent

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: GitHubStandIn

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (a timeout) closes its end mid-answer: that is expected here."""
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects from GitHub
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall between them
    server: _Server

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.standin._handle(self)

    def do_POST(self) -> None:
        self.server.standin._handle(self)

    def send_json(self, status: int, body: dict | str | None, headers: dict[str, str]) -> None:
        payload = b""
        if body is not None and status != 304:
            payload = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        base = {"Content-Type": "application/json; charset=utf-8", "Content-Length": str(len(payload))}
        if status == 304:
            base = {}
        for name, value in {**base, **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.wfile.flush()


class GitHubStandIn:
    """GitHub's REST API on 127.0.0.1 for tests and benchmarks. Use it as a context manager,
    or call `start()` and `stop()`. `url` is the base URL to give the client."""

    def __init__(self, *, token: str | None = None, prefix: str = "", requests_per_hour: int = 5000):
        """`token`: when set, requests without `Authorization: Bearer <token>` get GitHub's 401.
        `prefix`: serve under a path, like GitHub Enterprise's /api/v3."""
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.requests_per_hour = requests_per_hour
        self.requests: list[RecordedRequest] = []
        self._issues: dict[tuple[str, int], dict] = {}
        self._faults: list[Fault] = []
        self._moved: dict[tuple[str, int], str] = {}  # transferred issues: old address → new API URL
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Running

    def start(self) -> GitHubStandIn:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="github-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # stalled answers end now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def host(self) -> str:
        if self._server is None:
            raise RuntimeError("The stand-in is not running: use it in a `with` block or call start().")
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.prefix}"

    # Issues

    def add_issue(self, repo: str, number: int, **fields) -> dict:
        """Store (or replace) an issue built by `issue_json` with this stand-in's URLs; returns it."""
        data = issue_json(repo, number, base_url=self.url, **fields)
        with self._lock:
            self._issues[(repo.lower(), number)] = data
        return data

    def put_issue(self, data: dict) -> None:
        """Store an issue object as given (its repo and number are read from its `url`)."""
        repo, number = _repo_and_number(data["url"])
        with self._lock:
            self._issues[(repo, number)] = data

    def update_issue(self, repo: str, number: int, **changes) -> dict:
        """Change fields of a stored issue as GitHub would: `labels=[...]` and `assignees=[...]`
        take names; closing sets `closed_at`; `updated_at` moves on unless given."""
        with self._lock:
            data = dict(self._issues[(repo.lower(), number)])
            now = changes.pop("updated_at", None) or _later_than(data["updated_at"])
            if "labels" in changes:
                changes["labels"] = [_label(name, data["repository_url"]) for name in changes["labels"]]
            if "assignees" in changes:
                changes["assignees"] = [_user(login) for login in changes["assignees"]]
                changes["assignee"] = changes["assignees"][0] if changes["assignees"] else None
            if changes.get("state") == "closed" and data["state"] != "closed":
                changes.setdefault("closed_at", now)
                changes.setdefault("state_reason", "completed")
            if changes.get("state") == "open":
                changes.setdefault("closed_at", None)
                changes.setdefault("state_reason", "reopened")
            data.update(changes, updated_at=now)
            self._issues[(repo.lower(), number)] = data
            return data

    def delete_issue(self, repo: str, number: int) -> None:
        with self._lock:
            del self._issues[(repo.lower(), number)]

    def move_issue(self, repo: str, number: int, *, to_repo: str, to_number: int) -> dict:
        """Transfer an issue as GitHub does: the old address answers 301 with the new one."""
        with self._lock:
            data = self._issues.pop((repo.lower(), number))
        owner, name = to_repo.split("/")
        moved = issue_json(
            to_repo,
            to_number,
            title=data["title"],
            state=data["state"],
            labels=[label["name"] for label in data["labels"]],
            assignees=[person["login"] for person in data["assignees"]],
            created_at=data["created_at"],
            updated_at=_later_than(data["updated_at"]),
            closed_at=data["closed_at"],
            base_url=self.url,
        )
        with self._lock:
            self._issues[(to_repo.lower(), to_number)] = moved
            self._moved[(repo.lower(), number)] = f"{self.url}/repos/{owner}/{name}/issues/{to_number}"
        return moved

    def issue(self, repo: str, number: int) -> dict:
        with self._lock:
            return self._issues[(repo.lower(), number)]

    def etag(self, repo: str, number: int) -> str:
        return _etag(_encode(self.issue(repo, number)))

    # Faults

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(self, status: int = 500, *, times: int | None = 1, path: str | None = None, body=None) -> Fault:
        """Answer `status` (500 Internal Server Error by default) with GitHub's error body."""
        reason = HTTPStatus(status).phrase
        return self.add_fault(
            Fault(status=status, body=body or {"message": reason, "documentation_url": _DOCS}, times=times, path=path)
        )

    def rate_limit(self, *, reset_in: float = 2, times: int | None = 1, path: str | None = None) -> Fault:
        """GitHub's primary rate limit: 403 with X-RateLimit-Remaining 0 and the reset time."""
        reset = str(math.ceil(time.time() + reset_in))
        headers = {
            "X-RateLimit-Limit": str(self.requests_per_hour),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Used": str(self.requests_per_hour),
            "X-RateLimit-Reset": reset,
            "X-RateLimit-Resource": "core",
        }
        body = {"message": "API rate limit exceeded for user ID 1.", "documentation_url": _DOCS}
        return self.add_fault(Fault(status=403, headers=headers, body=body, times=times, path=path))

    def too_many_requests(self, *, retry_after: str | int = 1, times: int | None = 1, path: str | None = None) -> Fault:
        """A secondary rate limit: 429 with Retry-After (seconds, or an HTTP date)."""
        body = {"message": "You have exceeded a secondary rate limit.", "documentation_url": _DOCS}
        return self.add_fault(
            Fault(status=429, headers={"Retry-After": str(retry_after)}, body=body, times=times, path=path)
        )

    def stall(self, seconds: float, *, times: int | None = 1, path: str | None = None) -> Fault:
        """Wait `seconds` before answering normally: longer than the client's timeout, it times out."""
        return self.add_fault(Fault(delay=seconds, times=times, path=path))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    # Request log

    def requests_to(self, path_pattern: str) -> list[RecordedRequest]:
        return [request for request in self.requests if re.search(path_pattern, request.path)]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # Serving

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        path, query = split.path, parse_qs(split.query)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        if length:
            handler.rfile.read(length)
        record = RecordedRequest(handler.command, path, query, headers)
        with self._lock:
            self.requests.append(record)  # logged on arrival: a stalled request shows at once
        status, body, answer_headers = self._answer(handler.command, path, query, headers)
        if status is None:  # the stand-in is stopping during a stall
            handler.close_connection = True
            return
        record.answered = status  # before sending: the client may look as soon as it has the answer
        try:
            handler.send_json(status, body, answer_headers)
        except (ConnectionError, TimeoutError):
            record.answered = None
            handler.close_connection = True  # the client gave up waiting

    def _answer(self, method: str, path: str, query: dict, headers: dict) -> tuple[int | None, object, dict]:
        fault = self._take_fault(path)
        if fault is not None:
            if fault.delay and self._stopping.wait(fault.delay):
                return None, None, {}
            if fault.status is not None:
                return fault.status, fault.body, dict(fault.headers)
        common = {
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-RateLimit-Limit": str(self.requests_per_hour),
            "X-RateLimit-Remaining": str(self.requests_per_hour - 1),
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
        }
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials", "documentation_url": _DOCS}, common
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return 404, {"message": "Not Found", "documentation_url": _DOCS}, common
            path = path[len(self.prefix) :]
        if method != "GET":
            return 404, {"message": "Not Found", "documentation_url": _DOCS}, common
        if match := _ISSUE_PATH.match(path):
            return self._get_issue(match, headers, common)
        if path == "/search/issues":
            return self._search(query, common)
        return 404, {"message": "Not Found", "documentation_url": _DOCS}, common

    def _get_issue(self, match: re.Match, headers: dict, common: dict) -> tuple[int, object, dict]:
        key = (f"{match['owner']}/{match['name']}".lower(), int(match["number"]))
        with self._lock:
            data, moved_to = self._issues.get(key), self._moved.get(key)
        if data is None and moved_to:
            body = {"message": "Moved Permanently", "url": moved_to, "documentation_url": _DOCS}
            return 301, body, {**common, "Location": moved_to}
        if data is None:
            return 404, {"message": "Not Found", "documentation_url": _DOCS}, common
        body = _encode(data)
        etag = _etag(body)
        if _etag_matches(headers.get("if-none-match", ""), etag):
            return 304, None, {**common, "ETag": etag}
        return 200, body.decode(), {**common, "ETag": etag, "Last-Modified": _http_date(data["updated_at"])}

    def _search(self, query: dict, common: dict) -> tuple[int, object, dict]:
        q = (query.get("q") or [""])[0]
        try:
            per_page = min(max(int((query.get("per_page") or ["30"])[0]), 1), 100)
            page = max(int((query.get("page") or ["1"])[0]), 1)
        except ValueError:
            return 422, _validation_failed("per_page and page must be numbers."), common
        try:
            matches = _compile_query(q)
        except ValueError as error:
            return 422, _validation_failed(str(error)), common
        with self._lock:
            found = [data for key, data in sorted(self._issues.items()) if matches(key[0], data)]
        if page > 1 and (page - 1) * per_page >= min(len(found), 1000):
            return 422, _validation_failed("Only the first 1000 search results are available"), common
        items = found[(page - 1) * per_page : page * per_page]
        last = max(math.ceil(min(len(found), 1000) / per_page), 1)
        links = []

        def link(number: int, rel: str) -> str:
            params = urlencode({"q": q, "per_page": per_page, "page": number})
            return f'<{self.url}/search/issues?{params}>; rel="{rel}"'

        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        answer_headers = {**common, "Link": ", ".join(links)} if links else common
        body = {"total_count": len(found), "incomplete_results": False, "items": items}
        return 200, body, answer_headers


def _compile_query(q: str):
    """A predicate for a small subset of GitHub's issue search syntax; every term must hold."""
    try:
        terms = shlex.split(q)
    except ValueError as error:
        raise ValueError(f"The search could not be read: {error}.") from error
    if not terms:
        raise ValueError("The search is empty.")
    checks: list[tuple[str, str]] = []
    for term in terms:
        qualifier, _, value = term.partition(":")
        qualifier, value = (qualifier.lower(), value.lower()) if value else ("", term.lower())
        if qualifier in ("is", "state") and value in ("open", "closed"):
            checks.append(("state", value))
        elif qualifier in ("is", "type") and value in ("issue", "pr", "pull-request"):
            checks.append(("type", "pr" if value != "issue" else "issue"))
        elif (qualifier, value) == ("no", "label"):
            checks.append(("no-label", ""))
        elif qualifier in ("repo", "label", "assignee", ""):
            checks.append((qualifier or "word", value))
        else:
            raise ValueError(f"The stand-in does not understand “{term}”.")
    return lambda repo, data: all(_holds(kind, value, repo, data) for kind, value in checks)


def _holds(kind: str, value: str, repo: str, data: dict) -> bool:
    labels = {label["name"].lower() for label in data["labels"]}
    if kind == "repo":
        return repo == value
    if kind == "label":  # label:a,b is either of them
        return bool(labels & set(value.split(",")))
    if kind == "no-label":
        return not labels
    if kind == "state":
        return data["state"] == value
    if kind == "type":
        return ("pull_request" in data) == (value == "pr")
    if kind == "assignee":
        return value in {person["login"].lower() for person in data["assignees"]}
    return value in data["title"].lower()


def _validation_failed(message: str) -> dict:
    return {
        "message": "Validation Failed",
        "errors": [{"message": message, "resource": "Search", "field": "q", "code": "invalid"}],
        "documentation_url": _DOCS,
    }


def _encode(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    candidates = [candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")]
    return etag.removeprefix("W/") in candidates


def _repo_and_number(url: str) -> tuple[str, int]:
    parts = url.split("/repos/", 1)[1].split("/")
    return f"{parts[0]}/{parts[1]}".lower(), int(parts[3])


def _parse_time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _later_than(value: str) -> str:
    moment = max(_parse_time(value) + datetime.timedelta(minutes=1), datetime.datetime.now(datetime.UTC))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_date(value: str) -> str:
    return _parse_time(value).strftime("%a, %d %b %Y %H:%M:%S GMT")
