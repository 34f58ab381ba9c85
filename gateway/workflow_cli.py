"""``flowport workflow``: operate on workflow instances through a running gateway's REST API.

Every command goes through ``flowport_client`` (the same typed client the console and the
tests use). Human tables by default, ``--output json|yaml`` for scripts. Exit codes: 0 done,
1 the API refused (its problem document is printed) or the gateway is unreachable, 2 usage.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import pydantic
import typer
import yaml
from rich.console import Console
from rich.table import Table

from flowport_client import (
    DEFAULT_ADDRESS,
    NO_BODY,
    ClientError,
    Filter,
    FlowportClient,
    ProblemError,
    models,
    timeline,
)

ADDRESS_VARIABLE = "FLOWPORT_ADDRESS"
TOKEN_VARIABLES = ("FLOWPORT_API_TOKEN", "DAPR_API_TOKEN")

app = typer.Typer(
    name="workflow",
    help="Operate on workflow instances through a running Flowport gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped output is read by scripts and people alike: never truncate it to 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Output(enum.Enum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


class Settings(pydantic.BaseModel):
    address: str
    api_token: str | None
    output: Output


Address = Annotated[
    str, typer.Option("--address", envvar=ADDRESS_VARIABLE, help="The gateway's base URL.", show_default=True)
]
Token = Annotated[
    str | None,
    typer.Option("--api-token", envvar=list(TOKEN_VARIABLES), help="The API token.", show_default=False),
]
OutputOption = Annotated[Output, typer.Option("--output", "-o", help="table, json or yaml.")]
ComponentArg = Annotated[str, typer.Argument(help="The workflow component (the {component} of the URL).")]
InstanceArg = Annotated[str, typer.Argument(help="The instance ID.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Status = Annotated[
    list[str] | None, typer.Option("--status", "-s", help="Runtime status to keep (repeatable).")
]
WorkflowName = Annotated[str | None, typer.Option("--workflow-name", "-w", help="Only this workflow.")]
CreatedAfter = Annotated[
    datetime | None,
    typer.Option("--created-after", help="Created at or after (UTC unless an offset is given)."),
]
CreatedBefore = Annotated[
    datetime | None, typer.Option("--created-before", help="Created before (UTC unless an offset is given).")
]
Prefix = Annotated[str | None, typer.Option("--prefix", help="Instance IDs starting with this.")]
Reason = Annotated[str | None, typer.Option("--reason", "-r", help="Why (recorded by the runtime).")]


@app.callback()
def main(
    context: typer.Context,
    address: Address = DEFAULT_ADDRESS,
    api_token: Token = None,
    output: OutputOption = Output.TABLE,
) -> None:
    """Operate on workflow instances through a running Flowport gateway."""
    context.obj = Settings(address=address, api_token=api_token, output=output)


@contextmanager
def _client(context: typer.Context) -> Iterator[FlowportClient]:
    settings: Settings = context.obj
    try:
        with FlowportClient(settings.address, api_token=settings.api_token) as client:
            yield client
    except ProblemError as exc:
        _refused(exc)
    except ClientError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None


def _refused(exc: ProblemError) -> NoReturn:
    problem = exc.problem
    err.print(f"error: {problem.status} {problem.title} ({exc.slug})")
    err.print(f"  {problem.detail}")
    if problem.errorCode:
        err.print(f"  errorCode: {problem.errorCode}")
    raise typer.Exit(1)


def _emit(context: typer.Context, data: Any, table: Table | str | None = None) -> None:
    """``data`` as JSON or YAML, or ``table`` for humans."""
    settings: Settings = context.obj
    if isinstance(data, pydantic.BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [
            item.model_dump(mode="json") if isinstance(item, pydantic.BaseModel) else item for item in data
        ]
    if settings.output is Output.JSON:
        out.print_json(json.dumps(data))
    elif settings.output is Output.YAML:
        out.print(yaml.safe_dump(data, sort_keys=False).rstrip(), markup=False)
    elif table is not None:
        out.print(table)


def _filter(
    status: Sequence[str] | None,
    workflow_name: str | None,
    created_after: datetime | None,
    created_before: datetime | None,
    prefix: str | None,
) -> Filter:
    statuses = [part.strip().upper() for value in status or () for part in value.split(",") if part.strip()]
    return Filter(statuses, workflow_name, created_after, created_before, prefix)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _payload(text: str) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def _json_argument(text: str | None, what: str) -> Any:
    if text is None:
        return NO_BODY
    try:
        return json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} is not valid JSON: {exc}") from None


def _confirm(yes: bool, question: str) -> None:
    if not yes and not typer.confirm(question, default=False, err=True):
        err.print("aborted: nothing was changed")
        raise typer.Exit(1)


# --- commands -------------------------------------------------------------------------


@app.command("list")
def list_instances(
    context: typer.Context,
    component: Annotated[
        list[str] | None,
        typer.Option("--component", "-c", help="Components to list (repeatable; default all)."),
    ] = None,
    status: Status = None,
    workflow_name: WorkflowName = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    prefix: Prefix = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many instances.")] = 50,
) -> None:
    """List instances across components, newest first."""
    where = _filter(status, workflow_name, created_after, created_before, prefix)
    found: list[models.ListedWorkflowState] = []
    failures: list[models.ComponentProblem] = []
    with _client(context) as client:
        token: str | None = None
        while len(found) < limit:
            page = client.list_across(
                component or (), where, page_size=min(limit - len(found), 1000), continuation_token=token
            )
            found += page.instances
            failures += page.failures
            token = page.continuationToken
            if not token:
                break
    table = Table(box=None, header_style="bold")
    for column in ("COMPONENT", "INSTANCE ID", "WORKFLOW", "STATUS", "CREATED (UTC)", "UPDATED (UTC)"):
        table.add_column(column, no_wrap=True)
    for state in found:
        table.add_row(
            state.component,
            state.instanceID,
            state.workflowName,
            state.runtimeStatus.value,
            _when(state.createdAt),
            _when(state.lastUpdatedAt),
        )
    _emit(
        context,
        {
            "instances": [s.model_dump(mode="json") for s in found],
            "failures": [f.model_dump(mode="json") for f in failures],
            "more": bool(token),
        },
        table,
    )
    for failure in failures:
        err.print(
            f"warning: component {failure.component!r} did not answer: {failure.status} {failure.detail}"
        )
    if token and context.obj.output is Output.TABLE:
        err.print(f"(first {len(found)} shown; use --limit for more)")


@app.command()
def get(context: typer.Context, component: ComponentArg, instance_id: InstanceArg) -> None:
    """Show one instance: status, times, payloads, failure and runtime properties."""
    with _client(context) as client:
        state = client.get(component, instance_id)
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("instance", state.instanceID)
    table.add_row("workflow", state.workflowName)
    table.add_row("status", state.runtimeStatus.value)
    table.add_row("created", _when(state.createdAt) + " UTC")
    table.add_row("updated", _when(state.lastUpdatedAt) + " UTC")
    for label, name in (
        ("custom status", "dapr.workflow.custom_status"),
        ("input", "dapr.workflow.input"),
        ("output", "dapr.workflow.output"),
    ):
        if state.properties.get(name):
            table.add_row(label, _payload(state.properties[name]))
    if state.failure is not None:
        table.add_row("failure", f"{state.failure.error_type}: {state.failure.error_message}")
        if state.failure.stack_trace:
            table.add_row("stack trace", state.failure.stack_trace)
    for name, value in sorted(state.runtime_properties.items()):
        table.add_row(name, value)
    _emit(context, state, table)


@app.command()
def history(
    context: typer.Context,
    component: ComponentArg,
    instance_id: InstanceArg,
    timeline: Annotated[
        bool, typer.Option("--timeline", help="Draw a text timeline instead of a table.")
    ] = False,
) -> None:
    """The instance's events, oldest first: a table, or a text timeline (--timeline)."""
    with _client(context) as client:
        found = client.history(component, instance_id)
    if timeline:
        _emit(context, found, "\n".join(text_timeline(found.events)))
        return
    table = Table(box=None, header_style="bold")
    for column in ("#", "TIME (UTC)", "+SECONDS", "KIND", "NAME"):
        table.add_column(column, no_wrap=True)
    table.add_column("DATA", no_wrap=True, overflow="ellipsis", max_width=60)
    start = found.events[0].timestamp if found.events else None
    for event in found.events:
        offset = f"{(event.timestamp - start).total_seconds():.3f}" if start else ""
        data = "" if event.data is None else json.dumps(event.data)
        table.add_row(
            str(event.sequence),
            event.timestamp.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3],
            offset,
            event.kind.value,
            event.name or "",
            data,
        )
    _emit(context, found, table)


_MARKS = {
    timeline.Outcome.OK: "=",
    timeline.Outcome.FAILED: "x",
    timeline.Outcome.RUNNING: ">",
    timeline.Outcome.ABANDONED: ".",
}


def text_timeline(events: Sequence[models.HistoryEvent], width: int = 40) -> list[str]:
    """One line per row of the timeline; retries of an activity share a line."""
    drawn = timeline.build(events, datetime.now(UTC))
    if drawn is None:
        return ["(no events)"]
    label_width = min(max(len(row.label) for row in drawn.rows), 36)
    lines = [f"{'':{label_width}}  0s{'':{width - 2}}{drawn.seconds:.2f}s"]
    for row in drawn.rows:
        cells = [" "] * width
        for span in row.spans:
            first = round(drawn.offset(span.start) * (width - 1))
            if span.outcome is timeline.Outcome.INSTANT:
                cells[first] = "|"
                continue
            last = width - 1 if span.end is None else round(drawn.offset(span.end) * (width - 1))
            for index in range(first, max(last, first) + 1):
                cells[index] = _MARKS[span.outcome]
        lines.append(f"{row.label[:label_width]:{label_width}}  {''.join(cells).rstrip()}")
    lines.append(f"{'':{label_width}}  = done  x failed  > running  . never finished  | event")
    return lines


@app.command()
def start(
    context: typer.Context,
    component: ComponentArg,
    workflow_name: Annotated[str, typer.Argument(help="The workflow to start.")],
    input: Annotated[str | None, typer.Option("--input", "-i", help="The input, as JSON.")] = None,
    instance_id: Annotated[
        str | None, typer.Option("--instance-id", help="Default: a generated UUID.")
    ] = None,
    start_time: Annotated[datetime | None, typer.Option("--start-time", help="Start later (UTC).")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="A start option NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Start a workflow instance."""
    options: dict[str, str] = {}
    for item in option or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--option")
        options[name] = value
    body = _json_argument(input, "--input")
    with _client(context) as client:
        started = client.start(
            component, workflow_name, body, instance_id=instance_id, start_time=start_time, options=options
        )
    _emit(context, started, f"started {started.instanceID}")


@app.command("raise-event")
def raise_event(
    context: typer.Context,
    component: ComponentArg,
    instance_id: InstanceArg,
    event_name: Annotated[str, typer.Argument(help="The event's name.")],
    data: Annotated[str | None, typer.Option("--data", "-d", help="The event's data, as JSON.")] = None,
) -> None:
    """Raise an event on an instance."""
    body = _json_argument(data, "--data")
    with _client(context) as client:
        client.raise_event(component, instance_id, event_name, body)
    _emit(context, {"instanceID": instance_id, "event": event_name}, f"raised {event_name} on {instance_id}")


@app.command()
def pause(
    context: typer.Context, component: ComponentArg, instance_id: InstanceArg, reason: Reason = None
) -> None:
    """Suspend an instance (it keeps the events it receives)."""
    with _client(context) as client:
        client.pause(component, instance_id, reason)
    _emit(context, {"instanceID": instance_id, "paused": True}, f"paused {instance_id}")


@app.command()
def resume(
    context: typer.Context, component: ComponentArg, instance_id: InstanceArg, reason: Reason = None
) -> None:
    """Resume a suspended instance."""
    with _client(context) as client:
        client.resume(component, instance_id, reason)
    _emit(context, {"instanceID": instance_id, "resumed": True}, f"resumed {instance_id}")


@app.command()
def terminate(
    context: typer.Context,
    component: ComponentArg,
    instance_id: Annotated[
        str | None, typer.Argument(help="One instance; or select many with the filters.")
    ] = None,
    reason: Reason = None,
    status: Status = None,
    workflow_name: WorkflowName = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    prefix: Prefix = None,
    yes: Yes = False,
) -> None:
    """Terminate one instance, or every instance the filters select (after a confirmation)."""
    where = _filter(status, workflow_name, created_after, created_before, prefix)
    with _client(context) as client:
        if instance_id is not None:
            _only_one(where)
            client.terminate(component, instance_id, reason)
            _emit(context, {"instanceID": instance_id, "terminated": True}, f"terminated {instance_id}")
            return
        counted = client.terminate_matching(component, where, reason=reason, dry_run=True)
        _confirm(yes, f"Terminate {counted.matched} instance(s) of {component!r}?")
        done = client.terminate_matching(component, where, reason=reason)
    _bulk_report(context, "terminated", done)


@app.command()
def purge(
    context: typer.Context,
    component: ComponentArg,
    instance_id: Annotated[
        str | None, typer.Argument(help="One instance; or select many with the filters.")
    ] = None,
    status: Status = None,
    workflow_name: WorkflowName = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    prefix: Prefix = None,
    yes: Yes = False,
) -> None:
    """Purge one terminal instance, or every terminal instance the filters select (after a
    confirmation)."""
    where = _filter(status, workflow_name, created_after, created_before, prefix)
    with _client(context) as client:
        if instance_id is not None:
            _only_one(where)
            result = client.purge(component, instance_id)
            message = f"purged {instance_id} ({result.purgedInstances} instance(s))"
            _emit(context, result, message + (f"; {result.detail}" if result.detail else ""))
            return
        counted = client.purge_matching(component, where, dry_run=True)
        _confirm(yes, f"Purge {counted.matched} instance(s) of {component!r}?")
        done = client.purge_matching(component, where)
    _bulk_report(context, "purged", done)


def _only_one(where: Filter) -> None:
    if where.params():
        raise typer.BadParameter("give either an instance ID or filters, not both")


def _bulk_report(context: typer.Context, verb: str, result: models.BulkTerminateResult) -> None:
    lines = [f"{verb} {result.succeeded} of {result.matched} instance(s)"]
    lines += [
        f"  failed {failure.instanceID}: {failure.status} {failure.detail}" for failure in result.failed
    ]
    _emit(context, result, "\n".join(lines))
    if result.failed:
        raise typer.Exit(1)


def run(argv: Sequence[str]) -> int:
    """Run ``flowport workflow ARGV``; the exit code (0 done, 1 refused, 2 usage)."""
    try:
        app(args=list(argv), prog_name="flowport workflow")
    except SystemExit as exc:  # typer's standalone mode: usage errors exit with 2
        return exc.code if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
