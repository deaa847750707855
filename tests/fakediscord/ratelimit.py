"""Discord-style rate limits (per-route buckets with real windows, plus the global limit) and fault injection.

Rate limiting is off by default (headers are still sent, never reporting an exhausted bucket)
because a realistic 5-messages-per-5-seconds bucket would make ordinary tests slow; tests of
announcement pacing turn it on and usually shrink the windows with :meth:`RateLimiter.set_rule`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

# Which path parameter scopes a bucket, as Discord's "major parameters" do.
MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")


@dataclass
class RateLimitRule:
    """``limit`` requests per ``window`` seconds for routes matching ``route`` (``"METHOD /template"``, fnmatch)."""

    route: str
    limit: int
    window: float
    scope: str = "user"  # "user" | "shared"

    @property
    def bucket_hash(self) -> str:
        return hashlib.sha1(self.route.encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class RateLimitDecision:
    """Headers to attach, and the 429 body when the request is rejected."""

    headers: dict[str, str]
    rejected: dict[str, Any] | None = None
    status: int = 200


DEFAULT_RULES = [
    RateLimitRule("POST /channels/{channel_id}/messages/{message_id}/crosspost", 10, 3600.0),  # publish: 10 an hour
    RateLimitRule("POST /channels/{channel_id}/messages", 5, 5.0),
    RateLimitRule("PATCH /channels/{channel_id}/messages/{message_id}", 5, 5.0),
    RateLimitRule("DELETE /channels/{channel_id}/messages/{message_id}", 5, 1.0),
    RateLimitRule("POST /channels/{channel_id}/threads", 5, 5.0),
    RateLimitRule("POST /channels/{channel_id}/messages/{message_id}/threads", 5, 5.0),
    RateLimitRule("POST /webhooks/{webhook_id}/{webhook_token}", 5, 2.0),
    RateLimitRule("* /webhooks/{webhook_id}/{webhook_token}/messages/*", 5, 2.0),
    RateLimitRule("PUT /applications/{application_id}/*", 2, 1.0),
    RateLimitRule("*", 50, 1.0),
]


class RateLimiter:
    """Fixed windows per (rule, major parameter), plus a global per-second limit for bot-token requests."""

    def __init__(self, *, enabled: bool = False, global_limit: int = 50, global_window: float = 1.0) -> None:
        self.enabled = enabled
        self.global_limit = global_limit
        self.global_window = global_window
        self.rules: list[RateLimitRule] = list(DEFAULT_RULES)
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global: _Window | None = None

    def set_rule(self, route: str, limit: int, window: float, *, scope: str = "user") -> None:
        """Add or replace the rule for ``route`` (``"POST /channels/{channel_id}/messages"``); it takes priority."""
        self.rules = [r for r in self.rules if r.route != route]
        self.rules.insert(0, RateLimitRule(route, limit, window, scope))

    def reset(self) -> None:
        """Forget all consumed windows."""
        self._windows.clear()
        self._global = None

    def _rule_for(self, key: str) -> RateLimitRule:
        for rule in self.rules:
            if rule.route == key or fnmatch.fnmatchcase(key, rule.route):
                return rule
        return self.rules[-1]

    def check(self, method: str, template: str, params: dict[str, str], *, counts_global: bool) -> RateLimitDecision:
        """Count one request and decide whether it passes."""
        now = time.monotonic()
        key = f"{method} {template}"
        rule = self._rule_for(key)
        major = "+".join(params[p] for p in MAJOR_PARAMS if p in params)
        wkey = (rule.route, major)
        window = self._windows.get(wkey)
        if window is None or now >= window.started + rule.window:
            window = self._windows[wkey] = _Window(now)

        if self.enabled and counts_global:
            g = self._global
            if g is None or now >= g.started + self.global_window:
                g = self._global = _Window(now)
            if g.count >= self.global_limit:
                retry = max(0.001, g.started + self.global_window - now)
                return RateLimitDecision(
                    headers={
                        "Retry-After": str(math.ceil(retry)),
                        "X-RateLimit-Global": "true",
                        "X-RateLimit-Scope": "global",
                    },
                    rejected={
                        "message": "You are being rate limited.",
                        "retry_after": round(retry, 3),
                        "global": True,
                        "code": 0,
                    },
                    status=429,
                )
            g.count += 1

        reset_after = max(0.001, window.started + rule.window - now)
        headers = {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Bucket": rule.bucket_hash,
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        }
        if not self.enabled:
            headers["X-RateLimit-Remaining"] = str(max(1, rule.limit - 1))
            return RateLimitDecision(headers)
        if window.count >= rule.limit:
            headers.update(
                {
                    "X-RateLimit-Remaining": "0",
                    "Retry-After": str(math.ceil(reset_after)),
                    "X-RateLimit-Scope": rule.scope,
                }
            )
            return RateLimitDecision(
                headers,
                rejected={
                    "message": "You are being rate limited.",
                    "retry_after": round(reset_after, 3),
                    "global": False,
                },
                status=429,
            )
        window.count += 1
        headers["X-RateLimit-Remaining"] = str(rule.limit - window.count)
        return RateLimitDecision(headers)


_DEFAULT_FAULT_BODIES: dict[int, dict[str, Any]] = {
    400: {"message": "400: Bad Request", "code": 0},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "404: Not Found", "code": 0},
    429: {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
    500: {"message": "500: Internal Server Error", "code": 0},
    502: {"message": "502: Bad Gateway", "code": 0},
    503: {"message": "503: Service Unavailable", "code": 0},
}


@dataclass
class Fault:
    """An injected failure: answer ``status`` to the next ``remaining`` requests matching ``route``."""

    route: str
    status: int
    remaining: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, method: str, path: str, template: str) -> bool:
        candidates = (f"{method} {path}", f"{method} {template}", path, template)
        return any(c == self.route or fnmatch.fnmatchcase(c, self.route) for c in candidates)


def make_fault(
    route: str, status: int, count: int, body: dict[str, Any] | None, retry_after: float, global_: bool
) -> Fault:
    """Build a Fault with Discord-shaped defaults for the status code."""
    payload = (
        dict(body) if body is not None else dict(_DEFAULT_FAULT_BODIES.get(status, {"message": f"{status}", "code": 0}))
    )
    headers: dict[str, str] = {}
    if status == 429:
        payload.setdefault("retry_after", retry_after)
        payload["retry_after"] = retry_after if body is None else payload["retry_after"]
        payload["global"] = global_
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "global" if global_ else "user",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Limit": "1",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        }
        if global_:
            headers["X-RateLimit-Global"] = "true"
    return Fault(route=route, status=status, remaining=count, body=payload, headers=headers)
