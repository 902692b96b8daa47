// How Prompt Box makes a thumbnail (backend-rs/src/media and the image crate it calls), so a
// thumbnail missing from a backup can be rebuilt exactly as the app would have made it. Pure.

/** THUMBNAIL_SIZE and THUMBNAIL_QUALITY, as the app's config reads them. */
export interface ThumbnailRule {
  size: number;
  quality: number;
}

/** The app's defaults (backend-rs/src/config.rs). */
export const APP_THUMBNAIL_RULE: ThumbnailRule = { size: 300, quality: 85 };

/**
 * The thumbnail's size for a `width`×`height` original: fit inside size×size keeping the aspect
 * ratio, never upscaled. The app computes that box, then the image crate's resize fits the image
 * into the box once more (resize_dimensions), which can lose a pixel to rounding: 150×401 becomes
 * 112×299, not 112×300.
 */
export function thumbnailDimensions(width: number, height: number, size = APP_THUMBNAIL_RULE.size): { width: number; height: number } {
  const longest = Math.max(width, height);
  if (longest <= size) return { width: Math.max(width, 1), height: Math.max(height, 1) };
  const scale = size / longest;
  const box = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  const ratio = Math.min(box.width / width, box.height / height);
  return { width: Math.max(1, Math.round(width * ratio)), height: Math.max(1, Math.round(height * ratio)) };
}
