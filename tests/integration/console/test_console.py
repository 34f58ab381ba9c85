"""The web console in a real browser (Debian's Chromium through Playwright) against a real
gateway with the built-in engine and Temporal: every screen, the newcomer's walk-through of
the README's order, live updates, bulk actions with confirmation, the login and /docs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from flowport_client import Filter, FlowportClient, ProblemError
from gateway.testing import running_gateway
from tests.integration.console.browser import Browser, browser
from tests.integration.console.conftest import APPROVAL, BUILTIN, ORDER, REPO, TEMPORAL, TEMPORAL_UI

pytestmark = pytest.mark.temporal
__all__ = ["browser"]  # the fixture, imported for this module's tests


@pytest.fixture
def flowport(console_gateway: str) -> Iterator[FlowportClient]:
    with FlowportClient(console_gateway) as client:
        yield client


def open_page(browser: Browser, url: str) -> Page:
    page = browser.page()
    page.goto(url)
    return page


def test_the_newcomer_finds_the_order_watches_it_approves_it_and_purges_it(
    browser: Browser, console_gateway: str, flowport: FlowportClient
) -> None:
    order = f"order-{uuid.uuid4().hex[:6]}"
    # The README's curl command, through the typed client.
    flowport.start(BUILTIN, "order_processing", ORDER, instance_id=order)

    page = open_page(browser, console_gateway + "/ui")
    expect(page).to_have_url(console_gateway + "/ui/instances")
    row = page.locator(f"tr[data-instance='{order}']")
    expect(row).to_contain_text("order_processing")
    expect(row).to_contain_text("waiting for approval")  # the list refreshes by itself
    browser.shoot(page, "instances")
    row.get_by_role("link", name=order).click()

    expect(page.locator("#summary .status")).to_have_text("RUNNING")
    expect(page.locator("[data-field='custom-status']")).to_have_text("waiting for approval")
    expect(page.locator(".gantt-row")).to_have_count(5)  # the workflow, three activities, the timer
    before = page.locator("details.events tbody tr").count()
    # Only the actions a running instance on this component can take are offered.
    actions = page.locator("#actions")
    expect(actions.get_by_role("button", name="Pause")).to_be_visible()
    expect(actions.get_by_role("button", name="Terminate")).to_be_visible()
    expect(actions.get_by_role("button", name="Purge")).to_have_count(0)
    expect(actions.get_by_role("button", name="Resume")).to_have_count(0)

    # A mistake in the JSON editor is shown at once and the problem document on submit.
    page.get_by_label("Event name").fill("approval")
    page.get_by_label("Data (JSON)").fill('{"approver": "alice",')
    expect(page.locator(".raise-event .json-state")).to_contain_text("Not valid JSON")
    page.get_by_label("Data (JSON)").fill(json.dumps(APPROVAL))
    expect(page.locator(".raise-event .json-state")).to_have_text("Valid JSON")
    browser.shoot(page, "instance-waiting", full=True)
    page.get_by_role("button", name="Raise event").click()
    expect(page.locator(".notice")).to_have_text("Raised event 'approval'.")

    expect(page.locator("#summary .status")).to_have_text("COMPLETED")
    expect(page.locator(".gantt-row", has_text="ship_order")).to_have_count(1)
    expect(page.locator(".gantt-row.kind-event .marker")).to_have_count(1)
    assert page.locator("details.events tbody tr").count() > before, "the history grew"
    expect(page.locator("#payloads")).to_contain_text("receipt-" + order)
    browser.shoot(page, "instance-completed", full=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#actions").get_by_role("button", name="Purge").click()
    expect(page).to_have_url(
        console_gateway + "/ui/instances?notice=Purged+" + order + "+%281+instance%28s%29%29."
    )
    expect(page.locator(".notice")).to_contain_text(f"Purged {order}")
    expect(page.locator(f"tr[data-instance='{order}']")).to_have_count(0)
    with pytest.raises(ProblemError) as gone:
        flowport.get(BUILTIN, order)
    assert gone.value.status == 404
    assert browser.outside == []


def test_the_start_form_on_temporal_and_a_page_that_follows_the_instance_live(
    browser: Browser, console_gateway: str, flowport: FlowportClient
) -> None:
    instance = f"approval-{uuid.uuid4().hex[:6]}"
    page = open_page(browser, console_gateway + "/ui/start")
    page.get_by_label("Component").select_option(TEMPORAL)
    expect(page.locator(f"[data-options-for='{TEMPORAL}']")).to_be_visible()
    expect(page.locator(f"[data-options-for='{BUILTIN}']")).to_be_hidden()
    page.get_by_label("Workflow", exact=True).fill("approval")
    page.get_by_label("Instance ID").fill(instance)
    page.get_by_label("Input (JSON)").fill('{"amount": 12}')
    page.get_by_label("taskQueue").fill("flowport")
    browser.shoot(page, "start")
    page.get_by_role("button", name="Start").click()

    expect(page.locator(".notice")).to_have_text("Started.")
    expect(page.locator("#summary .status")).to_have_text("RUNNING")
    expect(page.locator("#payloads")).to_contain_text('"amount": 12')
    page.evaluate("window.flowportMarker = 'same page'")
    # Another operator approves it; this page follows by itself, without a reload.
    flowport.raise_event(TEMPORAL, instance, "approve", {"ok": True})
    expect(page.locator("#summary .status")).to_have_text("COMPLETED", timeout=60_000)
    expect(page.locator(".gantt-row.kind-event .marker")).to_have_count(1)
    assert page.evaluate("window.flowportMarker") == "same page"
    expect(page.locator("#payloads")).to_contain_text('"decision"')
    assert browser.outside == []


def test_components_show_health_capabilities_workflows_and_the_runtime_ui(
    browser: Browser, console_gateway: str
) -> None:
    page = open_page(browser, console_gateway + "/ui/components")
    builtin = page.locator(f"[data-component='{BUILTIN}']")
    expect(builtin).to_contain_text("workflow.builtin")
    expect(builtin).to_contain_text("healthy")
    expect(builtin.get_by_role("link", name="order_processing")).to_be_visible()
    temporal = page.locator(f"[data-component='{TEMPORAL}']")
    expect(temporal).to_contain_text("workflow.temporal")
    expect(temporal).to_contain_text("taskQueue")
    expect(temporal.get_by_role("link", name="Open Temporal UI ↗")).to_have_attribute("href", TEMPORAL_UI)
    browser.shoot(page, "components", full=True)
    builtin.get_by_role("link", name="order_processing").click()
    expect(page.get_by_label("Workflow", exact=True)).to_have_value("order_processing")


def test_filters_find_failed_instances_and_bulk_purge_asks_with_the_count(
    browser: Browser, console_gateway: str, flowport: FlowportClient
) -> None:
    prefix = f"bulk-{uuid.uuid4().hex[:6]}-"
    declined = {"item_name": "computers", "quantity": 1, "total_cost": 0}  # the payment fails
    for index in range(3):
        flowport.start(BUILTIN, "order_processing", declined, instance_id=f"{prefix}{index}")
    page = open_page(browser, console_gateway + "/ui/instances?view=failed")
    # The three fail within moments; the list shows them as they do, by itself.
    expect(page.locator(f"tr[data-instance^='{prefix}']")).to_have_count(3)
    page.get_by_label("Instance ID starts with").fill(prefix)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("tbody tr[data-instance]")).to_have_count(3)
    page.get_by_role("link", name=f"{prefix}0").click()
    expect(page.locator(".failure")).to_contain_text("payment declined")
    page.get_by_text("Stack trace").click()
    expect(page.locator(".failure pre")).to_contain_text("Traceback")
    page.go_back()

    page.get_by_role("link", name="Purge matching…").click()
    expect(page.locator("h1")).to_have_text("Purge 3 instances?")
    browser.shoot(page, "bulk-confirm")
    page.get_by_role("button", name="Purge 3 instances").click()
    expect(page.locator("h1")).to_have_text("Purged")
    expect(page.locator(f"tr[data-component='{BUILTIN}']")).to_contain_text("3")
    assert list(flowport.iterate(BUILTIN, Filter(instance_id_prefix=prefix))) == []


def test_a_refused_action_shows_the_problem_document(
    browser: Browser, console_gateway: str, flowport: FlowportClient
) -> None:
    instance = f"order-{uuid.uuid4().hex[:6]}"
    flowport.start(BUILTIN, "order_processing", ORDER, instance_id=instance)
    flowport.pause(BUILTIN, instance)
    page = open_page(browser, f"{console_gateway}/ui/instances/{BUILTIN}/{instance}")
    expect(page.locator("#summary .status")).to_have_text("SUSPENDED")
    flowport.resume(BUILTIN, instance)  # meanwhile, someone else resumes it
    page.locator("#actions").get_by_role("button", name="Resume").click()
    expect(page.locator(".problem")).to_contain_text("409 Invalid instance state")
    expect(page.locator(".problem")).to_contain_text("ERR_RESUME_WORKFLOW")
    flowport.terminate(BUILTIN, instance)


def test_docs_work_offline(browser: Browser, console_gateway: str) -> None:
    page = open_page(browser, console_gateway + "/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Flowport")
    expect(
        page.locator(".opblock-summary-path", has_text="/v1.0/workflows/{component}/purge")
    ).to_be_visible()
    assert browser.outside == []


@pytest.fixture(scope="module")
def guarded_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    resources = tmp_path_factory.mktemp("guarded")
    example = (REPO / "examples" / "builtin" / "components" / "builtin.yaml").read_text(encoding="utf-8")
    (resources / "builtin.yaml").write_text(
        example + f"  - name: store\n    value: {Path(resources) / 'dapr.db'}\n", encoding="utf-8"
    )
    with running_gateway([resources], api_token="s3cret") as base_url:
        yield base_url


def test_with_a_token_the_console_asks_for_it_and_docs_follow_the_login(
    browser: Browser, guarded_gateway: str
) -> None:
    page = open_page(browser, guarded_gateway + "/ui/components")
    expect(page.locator("h1")).to_have_text("Log in")
    page.get_by_label("API token").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".problem")).to_contain_text("not the gateway's API token")
    page.get_by_label("API token").fill("s3cret")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(guarded_gateway + "/ui/components")
    expect(page.locator(f"[data-component='{BUILTIN}']")).to_contain_text("healthy")
    cookie = next(c for c in browser.context.cookies() if c["name"] == "flowport_session")
    assert "s3cret" not in cookie["value"]
    assert cookie["httpOnly"]
    page.goto(guarded_gateway + "/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Flowport")
    page.goto(guarded_gateway + "/ui/instances")
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("h1")).to_have_text("Log in")
    page.goto(guarded_gateway + "/docs")
    expect(page.locator("h1")).to_have_text("Log in")
