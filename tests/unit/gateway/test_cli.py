"""The ``flowport`` command line."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.testing import free_port
from tests.unit.gateway.conftest import fake_component_yaml

pytestmark = pytest.mark.usefixtures("fake_plugins")

Write = Callable[[str, str], Path]
REPO = Path(__file__).resolve().parents[3]


def test_components_lists_type_plugin_and_capabilities(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    write("a.yaml", fake_component_yaml("orders"))
    resources = write("b.yaml", fake_component_yaml("limited", "workflow.fakestartonly"))
    assert main(["components", "--resources-path", str(resources)]) == 0
    out = capsys.readouterr().out
    assert "orders: workflow.fake v1 (plugin flowport-fake-plugins 1.2.3)" in out
    assert "capabilities: get, history, list, pause, purge, raise_event, resume, start, terminate" in out
    assert "limited: workflow.fakestartonly v1" in out
    assert "not supported: history, list, pause, purge, raise_event, resume, terminate" in out


def test_components_on_a_broken_file_names_file_and_field_and_exits_non_zero(
    write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = write(
        "orders.yaml", fake_component_yaml("orders", extra="  metadata:\n  - {name: delay, value: soon}\n")
    )
    assert main(["components", "--resources-path", str(resources)]) == 1
    err = capsys.readouterr().err
    assert f"error: {resources / 'orders.yaml'}: component 'orders': field 'spec.metadata.delay'" in err
    assert "Traceback" not in err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "flowport"
    result = subprocess.run(
        [str(command), "components", "--resources-path", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no workflow components found" in result.stdout


def test_serve_with_a_failing_component_exits_with_a_clear_message(write: Write) -> None:
    resources = write(
        "a.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {type: workflow.x}\n",
    )
    result = serve(resources)
    assert result.returncode == 1
    assert "field 'spec.type': unknown component type 'workflow.x'" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_taken_grpc_port_exits_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(tmp_path, "--grpc-port", str(port))
    assert result.returncode == 1
    assert f"error: cannot serve gRPC on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_several_built_in_components_and_none_chosen_names_them(tmp_path: Path) -> None:
    for name in ("orders", "billing"):
        (tmp_path / f"{name}.yaml").write_text(
            f"apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\n"
            f"spec: {{type: workflow.builtin, metadata: [{{name: store, value: {tmp_path / name}.db}}]}}\n"
        )
    result = serve(tmp_path, "--grpc-port", str(free_port()))
    assert result.returncode == 1
    assert (
        "error: several built-in workflow components (billing, orders) could serve the Dapr SDK workers; "
        "choose one with --grpc-component"
    ) in result.stderr
    result = serve(tmp_path, "--grpc-port", str(free_port()), "--grpc-component", "shipping")
    assert result.returncode == 1
    assert (
        "--grpc-component 'shipping' is not a built-in workflow component (built-in ones: billing, orders)"
        in (result.stderr)
    )


@pytest.mark.parametrize("size", ["4MB", "0", "-1", "Mi"])
def test_a_message_size_that_is_not_a_size_is_refused(tmp_path: Path, size: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--resources-path", str(tmp_path), "--grpc-max-message-size", size])
    assert exited.value.code == 2


def serve(resources: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``flowport serve`` in a subprocess (HTTP on a free port), for a start that must fail."""
    command = [sys.executable, "-m", "gateway.cli", "serve", "--resources-path", str(resources)]
    return subprocess.run(
        [*command, "--port", "0", "--metrics-port", "0", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
