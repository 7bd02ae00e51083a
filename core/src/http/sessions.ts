import { randomBytes } from 'node:crypto';

/**
 * Browser sessions, held on the server: a random id per login (the cookie used to be a value derived from the token,
 * the same for every login, so logging out could not end it). Logout revokes one; a token change ends all of them.
 * In memory: a restart logs browsers out. Bounded: the oldest go first past `max`, and each lives at most `ttlMs`.
 */
export class Sessions {
  private readonly byId = new Map<string, number>();

  constructor(private readonly max = 1_000, private readonly ttlMs = 30 * 24 * 3600_000) {}

  create(): string {
    const id = randomBytes(32).toString('base64url');
    if (this.byId.size >= this.max) this.byId.delete(this.byId.keys().next().value as string);
    this.byId.set(id, Date.now());
    return id;
  }

  valid(id: string | undefined): boolean {
    if (!id) return false;
    const at = this.byId.get(id);
    if (at === undefined) return false;
    if (Date.now() - at > this.ttlMs) { this.byId.delete(id); return false; }
    return true;
  }

  revoke(id: string | undefined): void {
    if (id) this.byId.delete(id);
  }

  clear(): void {
    this.byId.clear();
  }
}
