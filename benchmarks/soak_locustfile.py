"""Locust users for benchmarks/soak.py: people who log in and read, check in and move cards, and GitHub.

Not meant to be run on its own: soak.py sets up the database and the servers, writes a JSON
config and points SOAK_CONFIG at it. Every request is logged (name, status, latency, wall-clock
start and end) and every write the server acknowledged is recorded, so that soak.py can compute
exact percentiles and check each write in the database afterwards. Both go to the config's
"results" file when locust quits.

This module runs under gevent (locust monkey-patches the process), so it does not import Django.
"""

# ruff: noqa: S311 (random picks pages, cards and values for a load test; nothing secret)

import hashlib
import hmac
import http.cookiejar
import itertools
import json
import os
import random
import time
import urllib.parse
import uuid
from html.parser import HTMLParser
from pathlib import Path

from locust import HttpUser, between, events, task
from locust.clients import HttpSession

CONFIG = json.loads(Path(os.environ["SOAK_CONFIG"]).read_text())
RUN_ID = CONFIG["run_id"]
ACCOUNT_NUMBERS = itertools.count()

# What happened, for soak.py: one row per request, and the writes by outcome.
REQUESTS: list[list] = []  # [name, status, response ms, started (epoch s), ended (epoch s), error or ""]
WRITES: dict[str, list[dict]] = {
    "check_ins": [],  # acknowledged (302)
    "check_in_conflicts": [],  # 409: someone else checked in first; must NOT be in the database
    "check_ins_unknown": [],  # no answer or an unexpected one: may or may not be stored
    "card_moves": [],  # acknowledged (302)
    "card_move_conflicts": [],  # 409: a move against an older version of the card
    "card_moves_unknown": [],
    "webhooks": [],  # acknowledged (202 queued)
    "webhooks_unknown": [],
}


@events.request.add_listener
def _log_request(request_type, name, response_time, response, exception, start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0  # 0: no HTTP answer at all (connection error, timeout)
    started = start_time or time.time() - response_time / 1000
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"[:300]
    REQUESTS.append([name, status, round(response_time, 3), started, started + response_time / 1000, error])


USER_ERRORS: list[str] = []  # exceptions in the tasks themselves (an unexpected page, say)


@events.user_error.add_listener
def _log_user_error(user_instance, exception, tb, **kwargs):
    USER_ERRORS.append(f"{type(exception).__name__}: {exception}"[:300])


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    results = {"requests": REQUESTS, "writes": WRITES, "user_errors": USER_ERRORS}
    Path(CONFIG["results"]).write_text(json.dumps(results))


_return_ok_secure = http.cookiejar.DefaultCookiePolicy.return_ok_secure


def _loopback_is_secure(policy, cookie, request) -> bool:
    """Browsers treat http://127.0.0.1 as a secure context and send it Secure cookies; Python's
    cookie jar does not. The app keeps its production cookie settings (Secure session and CSRF
    cookies), so the simulated browsers need the same exception for loopback, and only for it."""
    host = urllib.parse.urlsplit(request.get_full_url()).hostname
    return host in ("127.0.0.1", "localhost", "::1") or _return_ok_secure(policy, cookie, request)


# requests copies the session's jar (with a default policy) for every request, so the policy is
# changed on the class rather than on one jar.
http.cookiejar.DefaultCookiePolicy.return_ok_secure = _loopback_is_secure


class FormParser(HTMLParser):
    """The forms of a page: action, and the value each named field would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": {}, "options": {}})
        elif not self.forms:
            return
        fields, options = self.forms[-1]["fields"], self.forms[-1]["options"]
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            fields[attrs["name"]] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            options[self._select] = []
        elif tag == "option" and self._select:
            options[self._select].append(attrs.get("value", ""))
            if "selected" in attrs or self._select not in fields:
                fields[self._select] = attrs.get("value", "")
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


class Person(HttpUser):
    """Someone on the Platform team: reads the team's pages, checks in on key results, moves cards,
    and (standing in for GitHub) sends signed webhook deliveries."""

    wait_time = between(CONFIG["wait_min"], CONFIG["wait_max"])

    def on_start(self):
        self.origin = {"Origin": self.host.rstrip("/")}
        account = CONFIG["accounts"][next(ACCOUNT_NUMBERS) % len(CONFIG["accounts"])]
        self.username, self.person_id = account["username"], account["person_id"]
        self.github = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        self.log_in(account["password"])

    def log_in(self, password: str) -> None:
        page = self.client.get("/accounts/login/", name="GET login")
        form = next(form for form in forms_of(page.text) if form["action"].endswith("/accounts/login/"))
        data = {**form["fields"], "username": self.username, "password": password}
        with self.client.post(
            "/accounts/login/",
            data=data,
            headers=self.origin,
            name="POST login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"log-in as {self.username} answered {response.status_code}")
                raise RuntimeError(f"could not log in as {self.username}: {response.status_code}")

    def get(self, url: str, name: str, *, follow: bool = False):
        """A page read; a redirect (to the log-in page) or anything but 200 is a failure."""
        with self.client.get(url, name=name, allow_redirects=follow, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{url} answered {response.status_code} {getattr(response, 'error', None) or ''}")
            return response

    # Reads

    @task(10)
    def read(self):
        slug = random.choice(CONFIG["team_slugs"])
        page = random.choice(
            [
                ("/", "GET dashboard"),
                (f"/teams/{slug}/", "GET team page"),
                (f"/teams/{CONFIG['okr_team']}/okrs/{CONFIG['period']}/", "GET team OKRs"),
                (f"/key-results/{random.choice(CONFIG['key_results'])['id']}/", "GET KR detail"),
                ("/roadmap/", "GET roadmap"),
                (f"/teams/{slug}/roadmap/", "GET team roadmap"),
                (f"/teams/{CONFIG['board_team']}/board/", "GET board"),
                (f"/meetings/{random.choice(CONFIG['series'])}/", "GET meeting"),
            ]
        )
        self.get(*page, follow=page[1] == "GET meeting")  # /meetings/<id>/ redirects to the next meeting

    # Writes

    @task(3)
    def check_in(self):
        kr = random.choice(CONFIG["key_results"])
        url = f"/key-results/{kr['id']}/check-in/"
        page = self.get(url, "GET check-in form")
        if page.status_code != 200:
            return
        form = next(form for form in forms_of(page.text) if form["action"] == url)
        note = f"soak {RUN_ID} {uuid.uuid4().hex} by {self.username}"
        data = {**form["fields"], "note": note, "confidence": random.choice(["high", "medium", "low"])}
        if "value" in data:
            data["value"] = str(random.randint(0, 100))
        if "done" in data or kr["kind"] == "milestone":
            if random.random() < 0.5:
                data["done"] = "on"
            else:
                data.pop("done", None)
        record = {"note": note, "key_result": kr["id"], "person": self.person_id, "version": data.get("version")}
        self.write("check_in", url, data, record, name="POST check-in")

    @task(3)
    def move_card(self):
        page = self.get(f"/teams/{CONFIG['board_team']}/board/", "GET board")
        if page.status_code != 200:
            return
        moves = [form for form in forms_of(page.text) if form["action"].endswith("/move/")]
        if not moves:
            return
        form = random.choice(moves)
        seen = form["fields"]["column"]
        to_column = random.choice([column for column in form["options"]["column"] if column != seen])
        data = {**form["fields"], "column": to_column, "blocked_reason": f"soak {RUN_ID}: waiting on review"}
        card = int(form["action"].rstrip("/").split("/")[-2])
        record = {
            "card": card,
            "from": seen,
            "to": to_column,
            "person": self.person_id,
            "version": data.get("version"),
        }
        self.write("card_move", form["action"], data, record, name="POST card move")

    def write(self, kind: str, url: str, data: dict, record: dict, *, name: str) -> None:
        """POST a form like a browser without JavaScript: 302 is done, 409 a conflict."""
        record["started"] = time.time()
        with self.client.post(
            url, data=data, headers=self.origin, name=name, allow_redirects=False, catch_response=True
        ) as response:
            record["ended"] = time.time()
            record["status"] = response.status_code
            if response.status_code == 302 and "/accounts/login/" not in response.headers.get("Location", ""):
                WRITES[f"{kind}s"].append(record)
                response.success()
            elif response.status_code == 409:
                WRITES[f"{kind}_conflicts"].append(record)
                response.success()  # a legitimate answer, counted apart
            else:
                WRITES[f"{kind}s_unknown"].append(record)
                response.failure(f"{url} answered {response.status_code} {getattr(response, 'error', None) or ''}")

    @task(2)
    def webhook(self):
        template = random.choice(CONFIG["payloads"])
        payload = json.loads(json.dumps(template))
        number = random.choice(CONFIG["issue_numbers"])
        repo = CONFIG["issue_repo"]
        payload["issue"]["number"] = number
        payload["issue"]["url"] = f"https://api.github.com/repos/{repo}/issues/{number}"
        payload["issue"]["html_url"] = f"https://github.com/{repo}/issues/{number}"
        body = json.dumps(payload).encode()
        delivery = str(uuid.uuid4())
        signature = "sha256=" + hmac.new(CONFIG["webhook_secret"].encode(), body, hashlib.sha256).hexdigest()
        record = {"delivery": delivery, "action": payload["action"], "started": time.time()}
        with self.github.post(
            "/integrations/github/webhook",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": signature,
                "User-Agent": "GitHub-Hookshot/soak",
                # One connection per delivery, as GitHub does; a kept-alive connection that the server
                # closes as the next delivery goes out would be a client-side error, not the app's.
                "Connection": "close",
            },
            name="POST webhook",
            catch_response=True,
        ) as response:
            record["ended"] = time.time()
            record["status"] = response.status_code
            if response.status_code == 202:
                WRITES["webhooks"].append(record)
                response.success()
            else:
                WRITES["webhooks_unknown"].append(record)
                problem = getattr(response, "error", None) or response.text[:200]
                response.failure(f"webhook answered {response.status_code}: {problem}")
