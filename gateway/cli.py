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
from gateway.registry import ComponentRegistry
from gateway.resources import ResourcesError

log = logging.getLogger("flowport")

TOKEN_VARIABLES = ("FLOWPORT_API_TOKEN", "DAPR_API_TOKEN")


def main(argv: Sequence[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    if args.command == "conformance":
        return _conformance(args.facts, extra)
    if extra:
        _parser().error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
    app = create_app(registry, api_token=token, request_timeout=args.request_timeout, manage_components=False)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on")
    try:
        # uvicorn's loop factory: uvloop where it is installed, as `uvicorn` itself would run.
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(_serve(registry, config))
    except ResourcesError as exc:
        _report(exc.errors)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(registry: ComponentRegistry, config: uvicorn.Config) -> None:
    # Components are initialised here, not in the ASGI lifespan, so that a failure is
    # reported as one clear message instead of a server traceback.
    await registry.start()
    try:
        names = ", ".join(slot.name for slot in registry.slots) or "none"
        log.info("flowport %s serving components: %s", version(), names)
        await uvicorn.Server(config).serve()
    finally:
        await registry.close()


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

    serve = commands.add_parser("serve", help="serve the workflow API")
    add_common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3500, help="default 3500, Dapr's HTTP port")
    serve.add_argument(
        "--api-token",
        help=f"require this token (else ${TOKEN_VARIABLES[0]} or ${TOKEN_VARIABLES[1]})",
    )
    serve.add_argument("--request-timeout", type=float, default=DEFAULT_REQUEST_TIMEOUT, metavar="SECONDS")

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


if __name__ == "__main__":
    sys.exit(main())
