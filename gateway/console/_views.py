"""The console's pages and form actions (see the package docstring for the design)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse, Response

from contracts import Capability, RuntimeStatus
from flowport_client import NO_BODY, AsyncFlowportClient, Filter, ProblemError, calls, models, timeline
from gateway.console._render import environment
from gateway.console._session import COOKIE, has_session, session_value

PREFIX = "/ui"
ACTIVE = (RuntimeStatus.RUNNING, RuntimeStatus.PENDING, RuntimeStatus.SUSPENDED)
#: an active instance older than this shows under "Stuck"
STUCK_AFTER = timedelta(minutes=15)


class LoginRequired(Exception):
    """The page needs the login cookie (an API token is configured)."""


def mount_console(app: FastAPI, *, api_token: str | None) -> None:
    """Serve the console under ``/ui`` (and its assets under ``/ui/static``) on ``app``."""
    templates = environment()
    static = resources.files("gateway.console") / "static"
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(static)), name="console-static")
    pages = _Pages(app, templates, api_token)
    app.include_router(pages.router())

    async def to_login(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/login?{urlencode({'next': target})}", status_code=303)

    app.add_exception_handler(LoginRequired, to_login)


def _same_origin(request: Request) -> bool:
    """Form posts from another site are refused (the cookie is SameSite, this is belt and braces)."""
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")


class _Pages:
    def __init__(self, app: FastAPI, templates: jinja2.Environment, api_token: str | None) -> None:
        self.app = app
        self.templates = templates
        self.token = api_token

    def router(self) -> APIRouter:
        router = APIRouter(prefix=PREFIX, include_in_schema=False)
        guarded = [Depends(self._require_login)]
        router.add_api_route("", self.home, methods=["GET"], dependencies=guarded)
        router.add_api_route("/", self.home, methods=["GET"], dependencies=guarded)
        router.add_api_route("/login", self.login_form, methods=["GET"])
        router.add_api_route("/login", self.login, methods=["POST"])
        router.add_api_route("/logout", self.logout, methods=["POST"])
        router.add_api_route("/instances", self.instances, methods=["GET"], dependencies=guarded)
        router.add_api_route(
            "/instances/{component}/{instance_id}", self.instance, methods=["GET"], dependencies=guarded
        )
        router.add_api_route(
            "/instances/{component}/{instance_id}/{action}", self.act, methods=["POST"], dependencies=guarded
        )
        router.add_api_route("/bulk", self.bulk_confirm, methods=["GET"], dependencies=guarded)
        router.add_api_route("/bulk", self.bulk_run, methods=["POST"], dependencies=guarded)
        router.add_api_route("/components", self.components, methods=["GET"], dependencies=guarded)
        router.add_api_route("/start", self.start_form, methods=["GET"], dependencies=guarded)
        router.add_api_route("/start", self.start, methods=["POST"], dependencies=guarded)
        return router

    # --- plumbing ---------------------------------------------------------------------

    async def _require_login(self, request: Request) -> None:
        if self.token is not None and not has_session(request, self.token):
            raise LoginRequired
        if request.method == "POST" and not _same_origin(request):
            raise LoginRequired

    @asynccontextmanager
    async def _api(self) -> AsyncIterator[AsyncFlowportClient]:
        """The REST API of this very app, in-process, with the configured token."""
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        async with AsyncFlowportClient("http://flowport", api_token=self.token, transport=transport) as api:
            yield api

    def _page(self, request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        page = self.templates.get_template(template)
        values.setdefault("nav", "")
        html = page.render(request=request, prefix=PREFIX, login=self.token is not None, **values)
        return HTMLResponse(html, status_code=status)

    def _not_found(self, request: Request) -> HTMLResponse:
        return self._page(
            request,
            "missing.html",
            status=404,
            nav="instances",
            problem=None,
            component="",
            instance_id="",
            notice="",
        )

    # --- login ------------------------------------------------------------------------

    async def login_form(self, request: Request, next: str = f"{PREFIX}/instances") -> Response:
        return self._page(request, "login.html", next=_local(next), failed=False)

    async def login(
        self, request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = PREFIX
    ) -> Response:
        if self.token is None:
            return RedirectResponse(_local(next), status_code=303)
        if not _same_origin(request) or session_value(token) != session_value(self.token):
            return self._page(request, "login.html", status=401, next=_local(next), failed=True)
        answer = RedirectResponse(_local(next), status_code=303)
        answer.set_cookie(COOKIE, session_value(self.token), httponly=True, samesite="strict", path="/")
        return answer

    async def logout(self) -> Response:
        answer = RedirectResponse(f"{PREFIX}/login", status_code=303)
        answer.delete_cookie(COOKIE, path="/")
        return answer

    # --- pages ------------------------------------------------------------------------

    async def home(self) -> Response:
        return RedirectResponse(f"{PREFIX}/instances", status_code=303)

    async def components(self, request: Request) -> Response:
        async with self._api() as api:
            metadata = await api.metadata()
        return self._page(request, "components.html", metadata=metadata, nav="components")

    async def instances(
        self,
        request: Request,
        form: Annotated[_FilterForm, Depends(_filter_form)],
        pageSize: Annotated[int, Query(ge=1, le=500)] = 25,
        token: str = "",
        view: str = "",
        notice: str = "",
    ) -> Response:
        if view == "failed":
            form = _FilterForm(form.components, ["FAILED"], "", "", "", "")
        elif view == "stuck":
            stuck = datetime.now(UTC) - STUCK_AFTER
            form = _FilterForm(form.components, [s.value for s in ACTIVE], "", "", _local_time(stuck), "")
        problem: models.Problem | None = None
        page: models.MergedInstanceList | None = None
        async with self._api() as api:
            metadata = await api.metadata()
            try:
                where = form.filter()
                page = await api.list_across(
                    form.components, where, page_size=pageSize, continuation_token=token or None
                )
            except ProblemError as exc:
                problem = exc.problem
            except ValueError as exc:
                problem = _local_problem(request, str(exc))
        return self._page(
            request,
            "instances.html",
            nav="instances",
            metadata=metadata,
            form=form,
            page=page,
            problem=problem,
            page_size=pageSize,
            statuses=[s.value for s in RuntimeStatus],
            query=form.query(),
            next_query=form.query(pageSize=str(pageSize), token=page.continuationToken or "") if page else "",
            now=datetime.now(UTC),
            view=view,
            notice=notice,
            warn=_warning,
        )

    async def instance(
        self, request: Request, component: str, instance_id: str, notice: str = ""
    ) -> Response:
        return await self._instance_page(request, component, instance_id, notice=notice)

    async def _instance_page(
        self,
        request: Request,
        component: str,
        instance_id: str,
        *,
        notice: str = "",
        problem: models.Problem | None = None,
        status: int = 200,
        event_form: dict[str, str] | None = None,
    ) -> Response:
        async with self._api() as api:
            metadata = await api.metadata()
            info = next((c for c in metadata.components if c.name == component), None)
            try:
                state = await api.get(component, instance_id)
            except ProblemError as exc:
                return self._page(
                    request,
                    "missing.html",
                    status=exc.status,
                    nav="instances",
                    problem=exc.problem,
                    component=component,
                    instance_id=instance_id,
                    notice=notice,
                )
            history: models.History | None = None
            history_problem: models.Problem | None = None
            try:
                history = await api.history(component, instance_id)
            except ProblemError as exc:
                history_problem = exc.problem
        now = datetime.now(UTC)
        drawn = timeline.build(history.events, now) if history else None
        capabilities = set(info.capabilities) if info else set()
        return self._page(
            request,
            "instance.html",
            status=status,
            nav="instances",
            component=component,
            info=info,
            state=state,
            history=history,
            history_problem=history_problem,
            drawn=drawn,
            actions=_actions(state, capabilities),
            notice=notice,
            problem=problem,
            event_form=event_form or {"name": "", "data": ""},
            children=_children(history),
            parent=state.properties.get("dapr.workflow.parent_instance_id")
            or state.properties.get("temporal.parentWorkflowId"),
            pretty=_pretty,
            live=not state.runtimeStatus.is_terminal,
            now=now,
        )

    async def act(
        self,
        request: Request,
        component: str,
        instance_id: str,
        action: str,
        reason: Annotated[str, Form()] = "",
        event_name: Annotated[str, Form()] = "",
        event_data: Annotated[str, Form()] = "",
    ) -> Response:
        here = f"{PREFIX}/instances/{component}/{instance_id}"
        try:
            async with self._api() as api:
                if action == "pause":
                    await api.send(calls.pause(component, instance_id, reason or None))
                    notice = "Paused."
                elif action == "resume":
                    await api.send(calls.resume(component, instance_id, reason or None))
                    notice = "Resumed."
                elif action == "terminate":
                    await api.send(calls.terminate(component, instance_id, reason or None))
                    notice = "Terminated."
                elif action == "raise-event":
                    data = _json_text(event_data, "event data")
                    await api.send(calls.raise_event(component, instance_id, event_name.strip(), data))
                    notice = f"Raised event {event_name.strip()!r}."
                elif action == "purge":
                    result = await api.send(calls.purge(component, instance_id))
                    message = f"Purged {instance_id} ({result.purgedInstances} instance(s))."
                    if result.detail:
                        message += " " + result.detail
                    return RedirectResponse(
                        f"{PREFIX}/instances?{urlencode({'notice': message})}", status_code=303
                    )
                else:
                    return self._not_found(request)
        except ProblemError as exc:
            form = {"name": event_name, "data": event_data} if action == "raise-event" else None
            return await self._instance_page(
                request, component, instance_id, problem=exc.problem, status=exc.status, event_form=form
            )
        except ValueError as exc:
            form = {"name": event_name, "data": event_data}
            return await self._instance_page(
                request,
                component,
                instance_id,
                problem=_local_problem(request, str(exc)),
                status=400,
                event_form=form,
            )
        return RedirectResponse(f"{here}?{urlencode({'notice': notice})}", status_code=303)

    async def bulk_confirm(
        self,
        request: Request,
        action: str,
        form: Annotated[_FilterForm, Depends(_filter_form)],
    ) -> Response:
        return await self._bulk(request, action, form, dry_run=True)

    async def bulk_run(self, request: Request) -> Response:
        data = await request.form()
        form = _FilterForm(
            [str(v) for v in data.getlist("component")],
            [str(v) for v in data.getlist("status")],
            str(data.get("workflowName", "")),
            str(data.get("createdAfter", "")),
            str(data.get("createdBefore", "")),
            str(data.get("prefix", "")),
        )
        return await self._bulk(
            request, str(data.get("action", "")), form, dry_run=False, reason=str(data.get("reason", ""))
        )

    async def _bulk(
        self, request: Request, action: str, form: _FilterForm, *, dry_run: bool, reason: str = ""
    ) -> Response:
        if action not in ("purge", "terminate"):
            return self._not_found(request)
        needed = Capability.PURGE if action == "purge" else Capability.TERMINATE
        results: list[tuple[str, models.BulkTerminateResult | None, models.Problem | None]] = []
        skipped: list[str] = []
        async with self._api() as api:
            metadata = await api.metadata()
            chosen = [c for c in metadata.components if not form.components or c.name in form.components]
            try:
                where = form.filter()
            except ValueError as exc:
                return self._page(
                    request,
                    "bulk.html",
                    status=400,
                    nav="instances",
                    action=action,
                    form=form,
                    results=[],
                    skipped=[],
                    dry_run=dry_run,
                    total=0,
                    problem=_local_problem(request, str(exc)),
                    query=form.query(),
                )

            async def one(info: models.ComponentInfo) -> None:
                if needed not in info.capabilities or Capability.LIST not in info.capabilities:
                    skipped.append(info.name)
                    return
                statuses = _bulk_statuses(where.status, action)
                if statuses is None:
                    skipped.append(info.name)
                    return
                scoped = Filter(
                    statuses,
                    where.workflow_name,
                    where.created_after,
                    where.created_before,
                    where.instance_id_prefix,
                )
                try:
                    outcome: models.BulkTerminateResult
                    if action == "purge":
                        outcome = await api.send(calls.purge_matching(info.name, scoped, dry_run=dry_run))
                    else:
                        terminate = calls.terminate_matching(
                            info.name, scoped, reason=reason or None, dry_run=dry_run
                        )
                        outcome = await api.send(terminate)
                    results.append((info.name, outcome, None))
                except ProblemError as exc:
                    results.append((info.name, None, exc.problem))

            await asyncio.gather(*(one(info) for info in chosen))
        results.sort(key=lambda item: item[0])
        total = sum(result.matched for _, result, _ in results if result is not None)
        return self._page(
            request,
            "bulk.html",
            nav="instances",
            action=action,
            form=form,
            results=results,
            skipped=sorted(skipped),
            dry_run=dry_run,
            total=total,
            problem=None,
            query=form.query(),
            reason=reason,
        )

    async def start_form(self, request: Request, component: str = "", workflow: str = "") -> Response:
        async with self._api() as api:
            metadata = await api.metadata()
        values = {
            "component": component,
            "workflow": workflow,
            "instance_id": "",
            "input": "",
            "start_time": "",
        }
        return self._page(request, "start.html", nav="start", metadata=metadata, values=values, problem=None)

    async def start(self, request: Request) -> Response:
        data = await request.form()
        values = {
            key: str(data.get(key, ""))
            for key in ("component", "workflow", "instance_id", "input", "start_time")
        }
        mine = f"option:{values['component']}:"
        options = {
            str(name)[len(mine) :]: str(value)
            for name, value in data.items()
            if str(name).startswith(mine) and str(value).strip()
        }
        async with self._api() as api:
            metadata = await api.metadata()
            try:
                body = _json_text(values["input"], "input")
                when = _parse_local(values["start_time"], "start time")
                started = await api.start(
                    values["component"],
                    values["workflow"].strip(),
                    body,
                    instance_id=values["instance_id"].strip() or None,
                    start_time=when,
                    options=options,
                )
            except ProblemError as exc:
                return self._page(
                    request,
                    "start.html",
                    status=exc.status,
                    nav="start",
                    metadata=metadata,
                    values=values,
                    problem=exc.problem,
                )
            except ValueError as exc:
                return self._page(
                    request,
                    "start.html",
                    status=400,
                    nav="start",
                    metadata=metadata,
                    values=values,
                    problem=_local_problem(request, str(exc)),
                )
        target = f"{PREFIX}/instances/{values['component']}/{started.instanceID}"
        return RedirectResponse(f"{target}?{urlencode({'notice': 'Started.'})}", status_code=303)


class _FilterForm:
    """The instance filters as the form shows them (strings) and as the API takes them."""

    def __init__(
        self,
        components: list[str],
        statuses: list[str],
        workflow_name: str,
        created_after: str,
        created_before: str,
        prefix: str,
    ) -> None:
        self.components = [c for c in components if c]
        self.statuses = [s for s in statuses if s]
        self.workflow_name = workflow_name.strip()
        self.created_after = created_after.strip()
        self.created_before = created_before.strip()
        self.prefix = prefix.strip()

    def filter(self) -> Filter:
        return Filter(
            self.statuses,
            self.workflow_name or None,
            _parse_local(self.created_after, "created after"),
            _parse_local(self.created_before, "created before"),
            self.prefix or None,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.statuses or self.workflow_name or self.created_after or self.created_before or self.prefix
        )

    def query(self, **extra: str) -> str:
        pairs = [("component", c) for c in self.components] + [("status", s) for s in self.statuses]
        for key, value in (
            ("workflowName", self.workflow_name),
            ("createdAfter", self.created_after),
            ("createdBefore", self.created_before),
            ("prefix", self.prefix),
            *extra.items(),
        ):
            if value:
                pairs.append((key, value))
        return urlencode(pairs)


def _filter_form(
    component: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[str] | None, Query()] = None,
    workflowName: str = "",
    createdAfter: str = "",
    createdBefore: str = "",
    prefix: str = "",
) -> _FilterForm:
    """The filter fields of the instances page and of the bulk confirmation, from the query."""
    return _FilterForm(component or [], status or [], workflowName, createdAfter, createdBefore, prefix)


def _bulk_statuses(asked: Any, action: str) -> list[str] | None:
    """The statuses a bulk action may act on within what was asked; ``None`` if none remain."""
    allowed = (
        [s.value for s in RuntimeStatus if s.is_terminal] if action == "purge" else [s.value for s in ACTIVE]
    )
    chosen = [s for s in asked if s in allowed] if asked else allowed
    return chosen or None


def _parse_local(text: str, what: str) -> datetime | None:
    """A time typed in the form (``datetime-local``: no offset, read as UTC)."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what}: {text!r} is not a date and time like 2026-01-31T12:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _json_text(text: str, what: str) -> Any:
    if not text.strip():
        return NO_BODY
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the {what} is not valid JSON: {exc}") from None


def _local_problem(request: Request, message: str) -> models.Problem:
    return models.Problem(
        type="urn:flowport:problem:malformed-request",
        title="Malformed request",
        status=400,
        detail=message,
        instance=request.url.path,
        errorCode="ERR_MALFORMED_REQUEST",
        message=message,
    )


def _local(target: str) -> str:
    """Only redirect within this gateway (never to another site named in ``next``)."""
    return target if target.startswith("/") and not target.startswith("//") else f"{PREFIX}/instances"


def _actions(state: models.WorkflowState, capabilities: set[Capability]) -> list[str]:
    status = state.runtimeStatus
    possible = {
        "pause": status is RuntimeStatus.RUNNING and Capability.PAUSE in capabilities,
        "resume": status is RuntimeStatus.SUSPENDED and Capability.RESUME in capabilities,
        "raise-event": not status.is_terminal and Capability.RAISE_EVENT in capabilities,
        "terminate": not status.is_terminal and Capability.TERMINATE in capabilities,
        "purge": status.is_terminal and Capability.PURGE in capabilities,
    }
    return [action for action, allowed in possible.items() if allowed]


def _children(history: models.History | None) -> list[str]:
    if history is None:
        return []
    found: dict[str, None] = {}
    for event in history.events:
        child = event.details.get("childInstanceId") or event.details.get("subWorkflowId")
        if child:
            found[child] = None
    return list(found)


def _pretty(text: str | None) -> str:
    """JSON text indented for reading (other text as it is)."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _warning(state: models.WorkflowState) -> str | None:
    """A runtime's warning about the instance (``temporal.warning``: no worker polls...)."""
    return next((value for key, value in state.properties.items() if key.endswith(".warning")), None)


__all__ = ["LoginRequired", "mount_console"]
