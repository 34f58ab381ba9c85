// A Dapr workflow app written the way the Dapr JavaScript SDK's workflow examples show it:
// @dapr/dapr 3.18.0's WorkflowRuntime hosts the workflows and activities below in this
// process, its DaprWorkflowClient drives them, and the sidecar is found through
// DAPR_GRPC_PORT only. Installed by scripts/sdk-envs.sh js-dapr-3.18.0; run with that
// environment's node_modules on NODE_PATH. Prints one JSON line per scenario.
//
//   NODE_PATH=<env>/node_modules DAPR_GRPC_PORT=50001 node chain_event_child.cjs RUN_ID

const { DaprWorkflowClient, WorkflowRuntime, WorkflowRuntimeStatus } = require("@dapr/dapr");

const WAIT_SECONDS = 120;

const hello = async (_, name) => `Hello ${name}`;

const child = async function* (ctx, name) {
  return yield ctx.callActivity(hello, name);
};

// A chain: an activity, then an external event, then a child workflow with a given ID.
const orderFlow = async function* (ctx, order) {
  const greeting = yield ctx.callActivity(hello, order.customer);
  ctx.setCustomStatus("waiting for approval");
  const approval = yield ctx.waitForExternalEvent("approve");
  const shipped = yield ctx.callChildWorkflow(child, "shipping", `${ctx.getWorkflowInstanceId()}-ship`);
  ctx.setCustomStatus("done");
  return { greeting, approval, shipped };
};

function report(scenario, ok, facts = {}) {
  console.log(JSON.stringify({ scenario, ok: Boolean(ok), ...facts }));
}

async function waitForCustomStatus(client, instanceId, expected) {
  const deadline = Date.now() + WAIT_SECONDS * 1000;
  while (Date.now() < deadline) {
    const state = await client.getWorkflowState(instanceId, true);
    if (state && state.customStatus === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${instanceId} never showed custom status ${expected}`);
}

async function main() {
  const runId = process.argv[2];
  const runtime = new WorkflowRuntime();
  const client = new DaprWorkflowClient();
  runtime.registerWorkflow(orderFlow).registerWorkflow(child).registerActivity(hello);
  await runtime.start();
  try {
    const instanceId = await client.scheduleNewWorkflow(orderFlow, { customer: "ada" }, `${runId}-order`);
    await waitForCustomStatus(client, instanceId, "waiting for approval");
    await client.raiseEvent(instanceId, "approve", { by: "alice" });
    const state = await client.waitForWorkflowCompletion(instanceId, true, WAIT_SECONDS);
    const output = state && state.serializedOutput ? JSON.parse(state.serializedOutput) : null;
    report(
      "chain with an external event and a child workflow",
      state &&
        state.runtimeStatus === WorkflowRuntimeStatus.COMPLETED &&
        output.greeting === "Hello ada" &&
        output.approval.by === "alice" &&
        output.shipped === "Hello shipping",
      { output },
    );
    const shipping = await client.getWorkflowState(`${instanceId}-ship`, true);
    report("the child has the given ID", shipping && shipping.runtimeStatus === WorkflowRuntimeStatus.COMPLETED);
    await client.purgeWorkflow(instanceId);
    report("purge", (await client.getWorkflowState(instanceId, false)) === undefined);
  } finally {
    await runtime.stop();
    await client.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
