// Covers: core/wal-segments.ts (WAL names, order, the segment of an LSN, holes in an archive)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSegments, findGaps, isHistoryName, isSegmentName, parseLsn, parseSegmentName, partialSegmentOf, segmentForLsn, segmentName } from '../../core/wal-segments.js';

test('segment names round-trip, and the segment after ...FF is the next log id\'s 00', () => {
  const last = parseSegmentName('0000000100000002000000FF')!;
  assert.deepEqual(last, { timeline: 1, number: 2n * 256n + 255n });
  assert.equal(segmentName({ timeline: 1, number: last.number + 1n }), '000000010000000300000000');
  assert.equal(parseSegmentName('000000010000000200000100'), undefined, 'no segment 0x100 with 16 MB segments');
});

test('what pg_receivewal writes is told apart: segments, history files, the partial segment', () => {
  assert.ok(isSegmentName('000000010000000000000003'));
  assert.ok(!isSegmentName('000000010000000000000003.partial'));
  assert.ok(isHistoryName('00000002.history'));
  assert.equal(partialSegmentOf('000000010000000000000003.partial'), '000000010000000000000003');
  assert.equal(partialSegmentOf('../etc/passwd.partial'), undefined);
});

test('a base backup starting at an LSN needs the segment holding it', () => {
  assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) + 0xb374d848n);
  assert.equal(segmentForLsn(1, parseLsn('0/2000028')!), '000000010000000000000002');
  assert.equal(segmentForLsn(3, parseLsn('16/B374D848')!), '0000000300000016000000B3');
  assert.equal(parseLsn('not an lsn'), undefined);
});

test('segments sort by position across log ids, then by timeline', () => {
  const names = ['000000020000000100000000', '0000000100000000000000FF', '000000010000000100000000'];
  assert.deepEqual([...names].sort(compareSegments), ['0000000100000000000000FF', '000000010000000100000000', '000000020000000100000000']);
});

test('a hole in the archive is found with its size; a timeline switch is none', () => {
  const unbroken = ['0000000100000000000000FE', '0000000100000000000000FF', '000000010000000100000000', '000000020000000100000000', '000000020000000100000001'];
  assert.deepEqual(findGaps(unbroken), []);
  assert.deepEqual(findGaps(['000000010000000000000003', '000000010000000000000006']), [{ after: '000000010000000000000003', missing: 2 }]);
  assert.deepEqual(findGaps(['000000010000000000000005'], '000000010000000000000004'), [{ missing: 1 }], 'the base backup\'s first segment is missing');
  assert.deepEqual(findGaps(['000000010000000000000001', '000000010000000000000005', '000000010000000000000006'], '000000010000000000000005'), [], 'holes before the base backup do not matter');
});
