// Covers: core/scratch-name.ts (scratch databases, directories and buckets)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCRATCH_PREFIX, scratchBucketFor, scratchNameFor } from '../../core/scratch-name.js';
import { s3Bucket } from '../../core/schema-parts.js';

const PG_IDENTIFIER_MAX_BYTES = 63;

test('scratch names are unique per run, fit a PostgreSQL identifier and keep the prefix operators look for', () => {
  // Two CLI runs a few seconds apart: their ids differ only where the old 60-character cut fell.
  const a = scratchNameFor('restore-test-partial-promptbox-production-20261129_030001', '0b3c1a5e-7f21-4d5e-9a0b-1c2d3e4f5a6b');
  const b = scratchNameFor('restore-test-partial-promptbox-production-20261129_030007', '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a');
  assert.notEqual(a, b);
  // The same workflow id run again (a reset, or continue-as-new) gets a new run id, and a new name.
  assert.notEqual(scratchNameFor('restore-test', '0b3c1a5e-7f21-4d5e-9a0b-1c2d3e4f5a6b'), scratchNameFor('restore-test', '1b3c1a5e-7f21-4d5e-9a0b-1c2d3e4f5a6b'));
  const long = scratchNameFor(`${'x'.repeat(300)}-ÄÖÜ-"; drop database postgres; --`, '0b3c1a5e-7f21-4d5e-9a0b-1c2d3e4f5a6b');
  for (const [name, runHex] of [[a, '0b3c1a5e7f214d5e9a0b1c2d3e4f5a6b'], [b, '9f8e7d6c5b4a439281706f5e4d3c2b1a'], [long, '0b3c1a5e7f214d5e9a0b1c2d3e4f5a6b']] as const) {
    assert.ok(Buffer.byteLength(name) <= PG_IDENTIFIER_MAX_BYTES, `${name} is ${Buffer.byteLength(name)} bytes`);
    assert.match(name, /^[a-z0-9_]+$/, 'safe unquoted, in a file name and lower case (PostgreSQL folds unquoted names)');
    assert.ok(name.startsWith(SCRATCH_PREFIX), name);
    assert.ok(name.endsWith(`_${runHex}`), `${name} ends with the whole run id`);
  }
  // Deterministic: the workflow computes it again on replay.
  assert.equal(scratchNameFor('w', 'r-1'), scratchNameFor('w', 'r-1'));
});

test("a scratch bucket's name is a valid S3 bucket name that still holds the whole run id", () => {
  const run = '0b3c1a5e-7f21-4d5e-9a0b-1c2d3e4f5a6b';
  for (const workflowId of ['restore-test-partial-promptbox-production-20261129_030001', 'x'.repeat(300), '___', 'A_B']) {
    const bucket = scratchBucketFor(scratchNameFor(workflowId, run));
    assert.ok(s3Bucket.shape.bucket.safeParse(bucket).success, `${bucket} is a bucket name`);
    assert.ok(bucket.endsWith('-0b3c1a5e7f214d5e9a0b1c2d3e4f5a6b'), bucket);
  }
});
