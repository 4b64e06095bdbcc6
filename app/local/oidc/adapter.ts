/**
 * In-memory storage for the provider's short-lived artifacts (sessions, interactions, codes,
 * grants). Keys and accounts are what must survive a restart and live on disk; after a restart
 * a browser simply signs in again. (Our own adapter rather than oidc-provider's built-in
 * development one, which prints a warning on every start.)
 */
export type AdapterPayload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

export interface Adapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * An adapter class for one provider instance: oidc-provider constructs it once per model name
 * (Session, Grant, …); every instance of the class shares this provider's store and nothing else.
 */
export function memoryAdapterClass(): new (name: string) => Adapter {
  const models = new Map<string, Map<string, Entry>>();
  return class extends MemoryAdapter {
    constructor(name: string) {
      let entries = models.get(name);
      if (!entries) {
        entries = new Map();
        models.set(name, entries);
      }
      super(entries);
    }
  };
}

class MemoryAdapter implements Adapter {
  constructor(private readonly entries: Map<string, Entry>) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.entries.set(id, { payload: { ...payload }, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return { ...entry.payload };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere((payload) => payload.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere((payload) => payload.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.entries.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, entry] of this.entries) if (entry.payload.grantId === grantId) this.entries.delete(id);
  }

  private async findWhere(match: (payload: AdapterPayload) => boolean): Promise<AdapterPayload | undefined> {
    for (const [id, entry] of this.entries) if (match(entry.payload)) return this.find(id);
    return undefined;
  }
}
