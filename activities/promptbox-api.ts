// A client of the real Prompt Box HTTP API (docs/design-notes.md, "The app contract"), as much as
// verification needs: login, the paged image list, an image's detail, /storage/ bytes and a
// permanent delete. Every answer is checked against the shape the real app gives; anything else
// is an AppAnswerError carrying what was received, for the checklist's evidence.
import { z } from 'zod';

/** The app answered, but not as Prompt Box does: the status and the start of the body. */
export class AppAnswerError extends Error {}

const loginAnswer = z.object({ username: z.string() }).passthrough();
const listAnswer = z
  .object({
    items: z.array(z.object({ id: z.string(), storage_path: z.string(), thumbnail_path: z.string() }).passthrough()),
    total: z.number().int(),
    page: z.number().int(),
    per_page: z.number().int(),
    total_pages: z.number().int(),
  })
  .passthrough();
const detailAnswer = z
  .object({ id: z.string(), file_hash: z.string(), storage_path: z.string(), positive_prompt: z.string().nullable(), raw_metadata: z.unknown() })
  .passthrough();
export type ImageDetail = z.infer<typeof detailAnswer>;
export type ListedImage = z.infer<typeof listAnswer>['items'][number];

/** The largest page the app serves; fewer round trips for a big gallery. */
const PAGE_SIZE = 120;
/** Login is rate-limited (a burst of 10, then 2 per second): wait out a 429 this many times. */
const LOGIN_TRIES = 5;
const REQUEST_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(status: number, body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  return `HTTP ${status}${text ? `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}` : ' with an empty body'}`;
}

export class PromptBoxApi {
  private cookie: string | undefined;

  constructor(private readonly baseUrl: string) {}

  get loggedIn(): boolean {
    return this.cookie !== undefined;
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    try {
      return await fetch(new URL(path, this.baseUrl), { ...init, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new AppAnswerError(`${init.method ?? 'GET'} ${path}: no answer (${(err as Error).message})`);
    }
  }

  private async json<T>(path: string, schema: z.ZodType<T>, init?: RequestInit): Promise<T> {
    const res = await this.request(path, init);
    const body = await res.text();
    if (!res.ok) throw new AppAnswerError(`${init?.method ?? 'GET'} ${path} answered ${describe(res.status, body)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new AppAnswerError(`${init?.method ?? 'GET'} ${path} answered non-JSON: ${describe(res.status, body)}`);
    }
    const checked = schema.safeParse(parsed);
    if (!checked.success) {
      const issues = checked.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new AppAnswerError(`${init?.method ?? 'GET'} ${path} answered an unexpected shape (${issues}): ${describe(res.status, body)}`);
    }
    return checked.data;
  }

  /** POST /api/auth/login; keeps the session cookie. Returns the evidence line. */
  async login(username: string, password: string): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      const res = await this.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      const body = await res.text();
      if (res.status === 429 && attempt < LOGIN_TRIES) {
        await sleep(Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000);
        continue;
      }
      if (!res.ok) throw new AppAnswerError(`POST /api/auth/login answered ${describe(res.status, body)}`);
      const cookie = res.headers.get('set-cookie')?.match(/session=[^;]+/)?.[0];
      if (!cookie) throw new AppAnswerError(`POST /api/auth/login answered ${res.status} without a session cookie`);
      let answer: unknown;
      try {
        answer = JSON.parse(body);
      } catch {
        answer = undefined;
      }
      if (!loginAnswer.safeParse(answer).success) throw new AppAnswerError(`POST /api/auth/login answered an unexpected shape: ${describe(res.status, body)}`);
      this.cookie = cookie;
      return `POST /api/auth/login answered ${res.status} with a session cookie for ${username}`;
    }
  }

  /** Every live image, paged through /api/images. */
  async listAll(): Promise<{ items: ListedImage[]; total: number; pages: number }> {
    const items: ListedImage[] = [];
    let total = 0;
    let pages = 1;
    for (let page = 1; page <= pages; page += 1) {
      const answer = await this.json(`/api/images?page=${page}&per_page=${PAGE_SIZE}`, listAnswer);
      items.push(...answer.items);
      total = answer.total;
      pages = answer.total_pages;
    }
    return { items, total, pages };
  }

  async detail(id: string): Promise<ImageDetail> {
    return this.json(`/api/images/${encodeURIComponent(id)}`, detailAnswer);
  }

  /** The bytes /storage/<key> serves (no login needed, as nginx serves it to the gallery). */
  async storage(key: string): Promise<Buffer> {
    const path = `/storage/${key.split('/').map(encodeURIComponent).join('/')}`;
    const res = await this.request(path);
    if (!res.ok) throw new AppAnswerError(`GET ${path} answered ${describe(res.status, await res.text())}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** DELETE /api/images/<id>?permanent=true: the row and both objects, as the app removes them. */
  async deletePermanently(id: string): Promise<void> {
    const path = `/api/images/${encodeURIComponent(id)}?permanent=true`;
    const res = await this.request(path, { method: 'DELETE' });
    if (!res.ok) throw new AppAnswerError(`DELETE ${path} answered ${describe(res.status, await res.text())}`);
  }
}
