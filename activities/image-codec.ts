// Image decoding and encoding for restore checks. sharp (libvips) is loaded on first use: it adds
// about 20 MB to a worker that, most of the time, only backs up.
import type { Sharp, SharpOptions } from 'sharp';

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

/** The app's thumbnail rule (backend-rs/src/media): fit inside size×size, never upscale, Lanczos3, RGB, lossy WebP. */
export interface ThumbnailRule {
  size: number;
  quality: number;
}

/** The defaults of THUMBNAIL_SIZE and THUMBNAIL_QUALITY in the app's config. */
export const APP_THUMBNAIL_RULE: ThumbnailRule = { size: 300, quality: 85 };

/** A thumbnail of `original` made as the app makes one on import. */
export async function renderThumbnail(original: Buffer, rule: ThumbnailRule): Promise<Buffer> {
  return (await sharp())(original)
    .resize({ width: rule.size, height: rule.size, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .removeAlpha()
    .webp({ quality: rule.quality })
    .toBuffer();
}
