"""A small GitHub REST client on httpx: conditional requests, pagination, rate limits, retries.

Every call either returns GitHub's answer or raises GitHubError with a sentence a person can
read on the dashboard; it never hangs longer than its timeouts and waits allow.
"""

import email.utils
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from django.conf import settings

RETRYABLE_STATUSES = {500, 502, 503, 504}


class GitHubError(Exception):
    """GitHub could not be asked, or refused; the message says why."""


class RateLimited(GitHubError):
    def __init__(self, wait_seconds: float):
        super().__init__(f"GitHub's rate limit is used up; it resets in {round(wait_seconds)} s.")
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class IssueResponse:
    status: int  # 200 fresh data, 304 unchanged since the ETag, 404/410 gone
    data: dict | None
    etag: str


class GitHubClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "PlatformHub",
        }
        token = settings.GITHUB_TOKEN if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=base_url or settings.GITHUB_API_URL, headers=headers, timeout=timeout, follow_redirects=True
        )
        self.max_retries, self.max_wait, self.sleep = max_retries, max_wait, sleep

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "GitHubClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _request(self, url: str, *, params: dict | None = None, etag: str = "") -> httpx.Response:
        headers = {"If-None-Match": etag} if etag else {}
        for attempt in range(self.max_retries + 1):
            last_attempt = attempt == self.max_retries
            try:
                response = self.http.get(url, params=params, headers=headers)
            except httpx.TimeoutException as error:
                if last_attempt:
                    raise GitHubError(f"GitHub did not answer in time ({type(error).__name__}).") from error
                self.sleep(_backoff(attempt))
                continue
            except httpx.TransportError as error:
                if last_attempt:
                    raise GitHubError(f"Could not reach GitHub: {error}.") from error
                self.sleep(_backoff(attempt))
                continue
            wait = _rate_limit_wait(response)
            if wait is not None:
                if wait > self.max_wait or last_attempt:
                    raise RateLimited(wait)
                self.sleep(wait)
                continue
            if response.status_code in RETRYABLE_STATUSES:
                if last_attempt:
                    raise GitHubError(f"GitHub answered {response.status_code} {response.reason_phrase}.")
                self.sleep(_backoff(attempt))
                continue
            if response.status_code == 401:
                raise GitHubError("GitHub refused the token (401): check GITHUB_TOKEN.")
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def get_issue(self, repo: str, number: int, *, etag: str = "") -> IssueResponse:
        """One issue or pull request; a 304 for an unchanged ETag costs no rate limit."""
        response = self._request(f"/repos/{repo}/issues/{number}", etag=etag)
        if response.status_code == 304:
            return IssueResponse(304, None, etag)
        if response.status_code in (404, 410):
            return IssueResponse(response.status_code, None, "")
        if response.status_code != 200:
            raise GitHubError(f"GitHub answered {response.status_code} for {repo}#{number}.")
        return IssueResponse(200, _json(response), response.headers.get("ETag", ""))

    def search_issues(self, query: str, *, max_pages: int = 10) -> Iterator[dict]:
        """Every issue a search finds, page by page through the Link header (GitHub stops at 1,000)."""
        url, params = "/search/issues", {"q": query, "per_page": 100}
        for _ in range(max_pages):
            response = self._request(url, params=params)
            if response.status_code == 422:
                raise GitHubError(f"GitHub could not run the search “{query}”: {_message(response)}")
            if response.status_code != 200:
                raise GitHubError(f"GitHub answered {response.status_code} to the search “{query}”.")
            yield from _json(response).get("items", [])
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            url, params = next_url, None


def _backoff(attempt: int) -> float:
    return min(0.5 * 2**attempt, 8.0)


def _json(response: httpx.Response) -> dict:
    """The body as a JSON object, or a GitHubError saying what came instead (a proxy's HTML page…)."""
    try:
        body = response.json()
    except ValueError:
        raise GitHubError(
            f"GitHub's answer was not JSON ({response.headers.get('Content-Type', 'no content type')}); "
            "check GITHUB_API_URL."
        ) from None
    if not isinstance(body, dict):
        raise GitHubError("GitHub's answer was not a JSON object.")
    return body


DEFAULT_WAIT = 60.0


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait when GitHub says the rate limit is hit, else None."""
    if response.status_code not in (403, 429):
        return None
    if retry_after := response.headers.get("Retry-After"):
        return _seconds_until(retry_after)
    if response.headers.get("X-RateLimit-Remaining") == "0":
        try:
            return max(float(response.headers.get("X-RateLimit-Reset", "")) - time.time(), 0.0)
        except ValueError:
            return DEFAULT_WAIT
    return None


def _seconds_until(retry_after: str) -> float:
    """Retry-After is seconds ("30", even "1.5") or an HTTP date; anything else means a minute."""
    try:
        return max(float(retry_after), 0.0)
    except ValueError:
        pass
    try:
        return max(email.utils.parsedate_to_datetime(retry_after).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return DEFAULT_WAIT


def _message(response: httpx.Response) -> str:
    try:
        return response.json().get("message", response.text)
    except ValueError:
        return response.text[:200]
