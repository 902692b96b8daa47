// Covers: fixtures/png.ts (the fixture's thumbnails; test/integration/fixture-equals-real-app.test.ts
// holds them against the real app's)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { renderPng, renderThumbnailWebp } from '../../fixtures/png.js';
import { thumbnailDimensions } from '../../core/thumbnail-rule.js';
import { seededRandom } from '../../fixtures/promptbox.js';

test("fixture thumbnails are lossy WebP fitting inside 300×300 by the app's rule, never enlarged", async () => {
  const random = seededRandom(3);
  for (const [w, h, expected] of [
    [320, 320, [300, 300]],
    [640, 200, [300, 94]],
    [150, 401, [112, 299]], // the image crate's second fit loses a pixel
    [64, 64, [64, 64]],
    [300, 10, [300, 10]],
  ] as const) {
    assert.deepEqual(thumbnailDimensions(w, h), { width: expected[0], height: expected[1] }, `${w}x${h}`);
    const thumb = await renderThumbnailWebp(await renderPng(w, h, random));
    const meta = await sharp(thumb).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['webp', ...expected], `${w}x${h}`);
    assert.equal(thumb.toString('latin1', 12, 16), 'VP8 ', 'lossy');
  }
  assert.deepEqual(thumbnailDimensions(10_000, 1), { width: 300, height: 1 });
});
