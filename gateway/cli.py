"""The ``flowport`` command: ``serve`` the API, or check and list ``components``."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from contracts import ALL_CAPABILITIES, ComponentConfigError
from gateway.app import DEFAULT_REQUEST_TIMEOUT, create_app, version
from gateway.grpc_api import DEFAULT_MAX_MESSAGE_BYTES, GrpcServerError, GrpcSettings
from gateway.grpc_api import DEFAULT_PORT as DEFAULT_GRPC_PORT
from gateway.registry import ComponentRegistry
from gateway.resources import ResourcesError
from gateway.runner import run_gateway
from gateway.telemetry import tracing
from gateway.telemetry.logs import LOG_FORMATS, configure_logging
from gateway.telemetry.metrics import serve_metrics

log = logging.getLogger("flowport")

TOKEN_VARIABLES = ("FLOWPORT_API_TOKEN", "DAPR_API_TOKEN")
DEFAULT_METRICS_PORT = 9090


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    if args.command == "conformance":
        return _conformance(args.facts, extra)
    if extra:
        _parser().error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        provider = tracing.tracer_provider_from_environment() if args.command == "serve" else None
    except tracing.TracingConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    configure_logging(args.log_level, args.log_format, tracing=provider is not None)
    # The console calls the API in-process through httpx: one log line per page is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    paths = [Path(path) for path in args.resources_path]
    try:
        registry = ComponentRegistry.from_resources(paths)
    except ResourcesError as exc:
        _report(exc.errors)
        return 1
    if args.command == "components":
        _list_components(registry)
        return 0
    token = args.api_token or next((os.environ[v] for v in TOKEN_VARIABLES if os.environ.get(v)), None)
    app = create_app(
        registry,
        api_token=token,
        request_timeout=args.request_timeout,
        manage_components=False,
        metrics=args.metrics_port != 0,
        tracer=tracing.install(provider) if provider is not None else None,
    )
    # log_config=None: uvicorn's loggers, access log included, use the handler set up above.
    # httptools and uvloop, named rather than left to uvicorn's "auto": they are what makes the
    # gateway fast, and both are core dependencies.
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        log_config=None,
        http="httptools",
        loop="uvloop",
    )
    grpc = None
    if args.grpc_port:
        host = args.grpc_host or args.host
        grpc = GrpcSettings(host, args.grpc_port, args.grpc_max_message_size, token, args.grpc_component)
    try:
        metrics_server = serve_metrics(args.host, args.metrics_port) if args.metrics_port else None
    except OSError as exc:
        print(f"error: cannot serve metrics on {args.host}:{args.metrics_port}: {exc}", file=sys.stderr)
        return 1
    if metrics_server is not None:
        log.info("metrics on http://%s:%d/metrics", args.host, metrics_server.port)
    try:
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            server = uvicorn.Server(config)
            runner.run(
                run_gateway(
                    registry,
                    server,
                    grpc,
                    app.state.workflow_service,
                    metrics=app.state.operation_metrics,
                    freeze_heap=True,
                )
            )
    except ResourcesError as exc:
        _report(exc.errors)
        return 1
    except GrpcServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if metrics_server is not None:
            metrics_server.close()
        if provider is not None:
            provider.shutdown()  # exports the spans still batched
    return 0


def _conformance(facts: str, pytest_args: Sequence[str]) -> int:
    if importlib.util.find_spec("pytest") is None:
        print("error: the conformance kit needs pytest: pip install 'flowport[conformance]'", file=sys.stderr)
        return 2
    suite = Path(__file__).resolve().parent.parent / "contracts" / "conformance" / "test_facts_file.py"
    # A fresh interpreter, so that pytest can load the kit before anything imports it.
    command = [sys.executable, "-m", "pytest", str(suite), f"--flowport-facts={Path(facts).resolve()}"]
    return subprocess.call([*command, "-p", "no:cacheprovider", *pytest_args])


def _list_components(registry: ComponentRegistry) -> None:
    slots = registry.slots
    if not slots:
        print("no workflow components found")
    for slot in slots:
        spec = slot.definition.spec
        plugin = slot.plugin
        source = f"{plugin.distribution} {plugin.version}" if plugin and plugin.distribution else "unknown"
        print(f"{spec.name}: {spec.type} {spec.version} (plugin {source})")
        print(f"  file: {spec.source}")
        if slot.component is not None:
            capabilities = sorted(capability.value for capability in slot.component.capabilities)
            print(f"  capabilities: {', '.join(capabilities)}")
            missing = sorted(c.value for c in ALL_CAPABILITIES - slot.component.capabilities)
            if missing:
                print(f"  not supported: {', '.join(missing)}")
            for definition in slot.component.definitions():
                print(f"  definition: {definition.name} ({definition.language}, {definition.source})")
        if slot.error:
            print(f"  FAILED (ignoreErrors): {slot.error}")


def _report(errors: Sequence[ComponentConfigError]) -> None:
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{len(errors)} error(s) in the component configuration", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flowport", description="Durable workflows behind one API.")
    parser.add_argument("--version", action="version", version=f"flowport {version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    def add_common(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--resources-path",
            action="append",
            required=True,
            metavar="DIR",
            help="directory of Dapr component YAML files (repeatable)",
        )
        command.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
        command.add_argument(
            "--log-format", default="text", choices=LOG_FORMATS, help="text (default) or JSON lines"
        )

    serve = commands.add_parser("serve", help="serve the workflow API")
    add_common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3500, help="default 3500, Dapr's HTTP port")
    serve.add_argument(
        "--api-token",
        help=f"require this token (else ${TOKEN_VARIABLES[0]} or ${TOKEN_VARIABLES[1]})",
    )
    serve.add_argument("--request-timeout", type=float, default=DEFAULT_REQUEST_TIMEOUT, metavar="SECONDS")
    serve.add_argument("--grpc-host", help="the gRPC server's address (default: the --host value)")
    serve.add_argument(
        "--grpc-port",
        type=_port,
        default=DEFAULT_GRPC_PORT,
        help=f"default {DEFAULT_GRPC_PORT}, Dapr's gRPC port; 0 turns gRPC off",
    )
    serve.add_argument(
        "--grpc-max-message-size",
        type=_byte_size,
        default=DEFAULT_MAX_MESSAGE_BYTES,
        metavar="SIZE",
        help="the largest gRPC message each way: bytes, or with a Ki/Mi/Gi suffix (default 4Mi, as daprd)",
    )
    serve.add_argument(
        "--grpc-component",
        metavar="NAME",
        help="the built-in component whose engine runs the workflows of Dapr SDK workers connected "
        "over gRPC (default: the only built-in one)",
    )
    serve.add_argument(
        "--metrics-port",
        type=int,
        default=DEFAULT_METRICS_PORT,
        metavar="PORT",
        help=f"Prometheus metrics on their own listener (default {DEFAULT_METRICS_PORT}, Dapr's; 0: off)",
    )

    components = commands.add_parser("components", help="validate and list the configured components")
    add_common(components)

    commands.add_parser(
        "workflow",
        help="list, get, history, start, raise-event, pause, resume, terminate, purge instances "
        "through a running gateway (flowport workflow --help)",
        add_help=False,
    )

    conformance = commands.add_parser(
        "conformance",
        help="run the component conformance kit on a facts file (extra arguments go to pytest)",
    )
    conformance.add_argument("facts", help="facts YAML: the component's resources path and workflows")
    return parser


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0 to 65535)")
    return port


_UNITS = {"": 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def _byte_size(text: str) -> int:
    """``4194304``, ``4Mi``, ``512Ki``: Dapr's quantity spelling for sizes."""
    number, unit = text.rstrip("KMGi"), text[len(text.rstrip("KMGi")) :]
    if unit not in _UNITS or not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 4194304, 512Ki, 4Mi)")
    return int(number) * _UNITS[unit]


if __name__ == "__main__":
    sys.exit(main())
