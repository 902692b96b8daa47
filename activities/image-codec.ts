// Image decoding and encoding for restore checks. sharp (libvips) is loaded on first use: it adds
// about 20 MB to a worker that, most of the time, only backs up.
import type { Sharp, SharpOptions } from 'sharp';
import { thumbnailDimensions, type ThumbnailRule } from '../core/thumbnail-rule.js';

type SharpFactory = (input?: Buffer, options?: SharpOptions) => Sharp;
let loading: Promise<SharpFactory> | undefined;

function sharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then((m) => m.default as SharpFactory);
  return loading;
}

/** Decodes every pixel; throws when the file is not a readable image. */
export async function decodeImage(bytes: Buffer): Promise<void> {
  await (await sharp())(bytes).raw().toBuffer();
}

export async function encodePng(pixels: Buffer, width: number, height: number): Promise<Buffer> {
  return (await sharp())(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/**
 * A thumbnail of `original` made as the app makes one on import (core/thumbnail-rule.ts):
 * its geometry, Lanczos3, alpha dropped, lossy WebP at the rule's quality.
 */
export async function renderThumbnail(original: Buffer, rule: ThumbnailRule): Promise<Buffer> {
  const make = await sharp();
  const { width = 0, height = 0 } = await make(original).metadata();
  const size = thumbnailDimensions(width, height, rule.size);
  return make(original).resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' }).removeAlpha().webp({ quality: rule.quality }).toBuffer();
}
