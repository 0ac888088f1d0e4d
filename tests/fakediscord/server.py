"""The HTTP side: one aiohttp application, the route table, request recording, auth, injected
failures, rate limits, limit/spec validation and Discord-shaped error responses."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import ApiError
from .faults import Fault, Faults
from .limits import LimitError, to_discord_errors
from .ratelimit import RateLimiter, RateLimits
from .spec import SpecValidator

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"


@dataclass
class UploadedFile:
    field_name: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class RecordedCall:
    method: str
    path: str
    #: Discord-style template ("/channels/{channel_id}/messages"); None for unknown routes.
    route_template: str | None
    #: JSON body (or multipart `payload_json`), None when absent.
    json: Any
    files: list[UploadedFile]
    status: int
    response: Any
    query: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


@dataclass
class ApiRequest:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: Mapping[str, str]
    json: Any
    files: list[UploadedFile]

    def param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError as exc:
            raise ApiError(404, 0, "404: Not Found") from exc

    def body(self) -> dict[str, Any]:
        """The JSON body as a dict ({} when absent)."""
        return self.json if isinstance(self.json, dict) else {}


@dataclass
class Reply:
    status: int = 200
    body: Any = None


Handler = Callable[[ApiRequest], Awaitable[Reply]]
Validator = Callable[[ApiRequest], list[LimitError]]


@dataclass
class RouteDef:
    method: str
    template: str
    handler: Handler
    #: Token-authenticated routes (interaction callbacks, webhooks) need no bot token.
    auth: bool = True
    #: Discord limit checks run before the handler (→ 400 50035 + violation).
    validate: Validator | None = None


@dataclass
class InjectedFailure:
    method: str
    template: str
    status: int
    remaining: int
    code: int
    message: str
    retry_after: float
    is_global: bool


class Recorder:
    """Everything tests assert on afterwards."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self.unknown_routes: list[str] = []
        self.violations: list[str] = []
        self.rate_limited_count = 0
        self.failures: list[InjectedFailure] = []
        self.on_call: Callable[[RecordedCall], None] = lambda call: None

    def violation(self, text: str) -> None:
        log.warning("fake discord violation: %s", text)
        self.violations.append(text)

    def record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        if call.status == 429:
            self.rate_limited_count += 1
        self.on_call(call)

    def take_failure(self, method: str, template: str) -> InjectedFailure | None:
        for failure in self.failures:
            if failure.method == method and failure.template == template and failure.remaining > 0:
                failure.remaining -= 1
                if failure.remaining == 0:
                    self.failures.remove(failure)
                return failure
        return None


class Router:
    """Matches concrete paths to templates; literal segments win over placeholders."""

    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], str, dict[str, RouteDef]]] = []

    @staticmethod
    def _compile(template: str) -> re.Pattern[str]:
        pattern = ""
        for part in re.split(r"(\{[a-z_]+\})", template):
            if part.startswith("{") and part.endswith("}"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
        return re.compile(f"^{pattern}$")

    def add(self, route: RouteDef) -> None:
        for _pattern, template, methods in self._routes:
            if template == route.template:
                methods[route.method] = route
                return
        self._routes.append((self._compile(route.template), route.template, {route.method: route}))
        # Fewer placeholders first, so "/messages/@original" beats "/messages/{message_id}".
        self._routes.sort(key=lambda r: r[1].count("{"))

    def match(self, method: str, path: str) -> tuple[RouteDef | None, dict[str, str], bool]:
        """(route, params, path_known). path_known without route → method not allowed."""
        for pattern, _template, methods in self._routes:
            m = pattern.match(path)
            if m:
                return methods.get(method), m.groupdict(), True
        return None, {}, False


def _json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> web.Response:
    if body is None:
        return web.Response(status=204 if status == 200 else status, headers=headers)
    # Exactly "application/json" (no charset): discord.py only decodes JSON on an exact match.
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


class HttpServer:
    """aiohttp app serving REST under /api/v10 and the gateway websocket at /."""

    def __init__(
        self,
        *,
        token: str,
        recorder: Recorder,
        rate_limits: RateLimits,
        spec: SpecValidator | None,
        gateway_handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        faults: Faults,
    ) -> None:
        self.token = token
        self.faults = faults
        self.recorder = recorder
        self.router = Router()
        self.limiter = RateLimiter(rate_limits)
        self.spec = spec
        self._gateway_handler = gateway_handler
        self._runner: web.AppRunner | None = None
        self.port = 0

    def add_routes(self, routes: list[RouteDef]) -> None:
        for route in routes:
            self.router.add(route)

    async def start(self, host: str = "127.0.0.1") -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.faults.offline:
            return self._reset(request)
        return await self._gateway_handler(request)

    @staticmethod
    def _reset(request: web.Request) -> web.Response:
        """Drop the TCP connection without an answer (the client sees a disconnect)."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ request
    async def _read_body(self, request: web.Request) -> tuple[Any, list[UploadedFile]]:
        files: list[UploadedFile] = []
        if not request.body_exists:
            return None, files
        ctype = request.content_type
        if ctype == "multipart/form-data":
            payload: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):  # nested multipart: ignore
                    continue
                name = part.name or ""
                data = await part.read()
                if name == "payload_json":
                    payload = json.loads(data.decode())
                else:
                    files.append(
                        UploadedFile(
                            field_name=name,
                            filename=part.filename or name,
                            data=bytes(data),
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        return json.loads(raw), files

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.method
        full_path = request.path
        query = dict(request.query)
        path = full_path[len(API_PREFIX) :] if full_path.startswith(API_PREFIX + "/") else None
        route, params, known = (
            (None, {}, False) if path is None else self.router.match(method, path)
        )
        try:
            body, files = await self._read_body(request)
        except (ValueError, UnicodeDecodeError):
            body, files = None, []
            if route is not None:
                error = ApiError(400, 50109, "The request body contains invalid JSON.")
                self.recorder.violation(f"{method} {route.template}: body is not valid JSON")
                return self._finish(method, full_path, route.template, None, [], query, error)
        if route is None:
            entry = f"{method} {full_path}"
            self.recorder.unknown_routes.append(entry)
            log.warning("fake discord: unknown route %s", entry)
            status, message = (405, "405: Method Not Allowed") if known else (404, "404: Not Found")
            return self._finish(
                method, full_path, None, body, files, query, ApiError(status, 0, message)
            )
        api_request = ApiRequest(method, path or "", route.template, params, query, body, files)
        extra_headers: dict[str, str] = {}
        faulted, after = await self._apply_faults(
            request, route.template, api_request, extra_headers
        )
        if faulted is not None:
            return faulted
        try:
            reply = await self._dispatch(request, route, api_request, extra_headers)
        except ApiError as error:
            if error.violation:
                self.recorder.violation(error.violation)
            return self._finish(
                method, full_path, route.template, body, files, query, error, extra_headers
            )
        if after is not None:  # handled, but the answer is lost on the way back
            if after.kind == "reset":
                self._record_fault(method, full_path, route.template, api_request, 0, reply.body)
                return self._reset(request)
            lost = ApiError(after.status, after.code, after.message)
            return self._finish(method, full_path, route.template, body, files, query, lost)
        return self._finish(
            method, full_path, route.template, body, files, query, reply, extra_headers
        )

    async def _apply_faults(
        self,
        request: web.Request,
        template: str,
        req: ApiRequest,
        headers: dict[str, str],
    ) -> tuple[web.Response | None, Fault | None]:
        """Injected faults (`faults.py`): (the answer instead of handling the request, or None;
        a fault to apply after handling it, or None)."""
        method, path = req.method, request.path
        if self.faults.offline:
            self._record_fault(method, path, template, req, 0, None)
            return self._reset(request), None
        outcome: Reply | ApiError | None = None
        after: Fault | None = None
        channel = req.params.get("channel_id")
        channel_id = int(channel) if channel is not None and channel.isdigit() else None
        for rule in self.faults.take(method, template, path, channel_id):
            if rule.handled and rule.kind in ("status", "reset"):
                after = after or rule
            elif rule.kind == "slow":
                await asyncio.sleep(rule.seconds)
            elif rule.kind == "reset":
                self._record_fault(method, path, template, req, 0, None)
                return self._reset(request), None
            elif rule.kind == "status" and outcome is None:
                outcome = ApiError(rule.status, rule.code, rule.message)
            elif rule.kind == "rate_limit" and outcome is None:
                headers.update(
                    {"Retry-After": str(max(1, round(rule.retry_after))), "Via": "1.1 google"}
                )
                if rule.is_global:
                    headers["X-RateLimit-Global"] = "true"
                outcome = Reply(
                    429,
                    {
                        "message": "You are being rate limited.",
                        "retry_after": rule.retry_after,
                        "global": rule.is_global,
                    },
                )
        if outcome is None:
            return None, after
        response = self._finish(
            method, path, template, req.json, req.files, dict(req.query), outcome, headers
        )
        return response, None

    def _record_fault(
        self, method: str, path: str, template: str, req: ApiRequest, status: int, body: Any
    ) -> None:
        self.recorder.record(
            RecordedCall(method, path, template, req.json, req.files, status, body, dict(req.query))
        )

    async def _dispatch(
        self,
        request: web.Request,
        route: RouteDef,
        req: ApiRequest,
        headers: dict[str, str],
    ) -> Reply:
        where = f"{req.method} {req.template}"
        if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            raise ApiError(401, 0, "401: Unauthorized")
        failure = self.recorder.take_failure(req.method, req.template)
        if failure is not None:
            if failure.status == 429:
                headers.update(
                    {"Retry-After": str(max(1, round(failure.retry_after))), "Via": "1.1 google"}
                )
                if failure.is_global:
                    headers["X-RateLimit-Global"] = "true"
                return Reply(
                    429,
                    {
                        "message": "You are being rate limited.",
                        "retry_after": failure.retry_after,
                        "global": failure.is_global,
                    },
                )
            raise ApiError(failure.status, failure.code, failure.message)
        decision = self.limiter.check(req.method, req.template, req.params)
        headers.update(decision.headers)
        if not decision.allowed:
            return Reply(429, decision.body())
        if route.validate is not None:
            problems = route.validate(req)
            if problems:
                for problem in problems:
                    self.recorder.violation(f"{where}: {problem}")
                raise ApiError(400, 50035, "Invalid Form Body", errors=to_discord_errors(problems))
        if self.spec is not None and req.json is not None:
            spec_problems = self.spec.validate(req.method, req.template, req.json)
            if spec_problems:
                for spec_problem in spec_problems:
                    self.recorder.violation(f"{where}: spec: {spec_problem}")
                raise ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    errors={"_errors": [{"code": "SPEC", "message": p} for p in spec_problems]},
                )
        return await route.handler(req)

    def _finish(
        self,
        method: str,
        path: str,
        template: str | None,
        body: Any,
        files: list[UploadedFile],
        query: dict[str, str],
        outcome: Reply | ApiError,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        if isinstance(outcome, ApiError):
            status, response = outcome.status, outcome.body()
        else:
            status, response = outcome.status, outcome.body
        self.recorder.record(
            RecordedCall(method, path, template, body, files, status, response, query)
        )
        return _json_response(status, response, headers)
