/**
 * Keeps the page in step with btd: every tick, `torrent-get` of the recently-active torrents
 * with only the fields that move (the names, sizes and folders are asked for once, and again
 * only for new torrents or after the page changed one), `session-stats` for the global rates,
 * and `session-get` now and then. A lost connection is retried with a growing pause and, once
 * back, the whole list is fetched again (torrents may have come and gone meanwhile).
 */
import { RpcClientError, type RpcClient } from './rpc-client.js';
import { addSample, type RateSample } from './rate-history.js';
import { EMPTY_TABLE, mergeTorrents, type TorrentTable } from './torrent-store.js';
import {
  LIST_FIELDS,
  LIVE_FIELDS,
  type SessionSettings,
  type SessionStats,
  type Torrent,
} from './types.js';

export type ConnectionState = 'connecting' | 'online' | 'lost' | 'unauthorized';

export interface LiveState {
  connection: ConnectionState;
  /** Why the connection is not online. */
  problem: string;
  table: TorrentTable;
  stats: SessionStats | undefined;
  settings: SessionSettings | undefined;
  /** Global rates, last minutes. */
  history: RateSample[];
  /** Per-torrent rates, for the details chart. */
  histories: ReadonlyMap<number, RateSample[]>;
  /** Torrent-get answers received (the tests and the bench read it). */
  ticks: number;
}

export interface LiveOptions {
  intervalMs?: number;
  historyMs?: number;
  now?: () => number;
}

const SETTINGS_EVERY = 10;

export class LiveUpdates {
  state: LiveState = {
    connection: 'connecting',
    problem: '',
    table: EMPTY_TABLE,
    stats: undefined,
    settings: undefined,
    history: [],
    histories: new Map(),
    ticks: 0,
  };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private needsFullList = true;
  private failures = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly intervalMs: number;
  private readonly historyMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: RpcClient,
    private readonly onChange: (state: LiveState) => void,
    options: LiveOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1500;
    this.historyMs = options.historyMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Runs a tick now (after the page changed something), keeping one tick at a time. */
  async refresh(options: { full?: boolean; ids?: readonly number[] } = {}): Promise<void> {
    if (options.full) this.needsFullList = true;
    await this.running;
    if (options.ids && options.ids.length > 0) {
      await this.fetchList(options.ids).catch(() => undefined);
    }
    clearTimeout(this.timer);
    await this.tick();
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.update().finally(() => (this.running = undefined));
    return this.running;
  }

  private async fetchList(ids?: readonly number[]): Promise<void> {
    const answer = await this.client.call<{ torrents: Partial<Torrent>[] }>('torrent-get', {
      fields: LIST_FIELDS,
      ...(ids ? { ids } : {}),
    });
    if (!ids) performance.mark('bt-list-answer');
    const merged = mergeTorrents(this.state.table, { torrents: answer.torrents, complete: !ids });
    this.set({ table: merged.table });
  }

  private async update(): Promise<void> {
    try {
      if (this.needsFullList) {
        await this.fetchList();
        this.needsFullList = false;
        this.set({ settings: await this.client.call<SessionSettings>('session-get') });
      } else {
        const answer = await this.client.call<{ torrents: Partial<Torrent>[]; removed?: number[] }>(
          'torrent-get',
          { fields: LIVE_FIELDS, ids: 'recently-active' },
        );
        const merged = mergeTorrents(this.state.table, answer);
        if (merged.table !== this.state.table) this.set({ table: merged.table });
        this.recordRates(answer.torrents);
        if (merged.unknown.length > 0) await this.fetchList(merged.unknown);
        if (this.state.ticks % SETTINGS_EVERY === 0)
          this.set({ settings: await this.client.call<SessionSettings>('session-get') });
      }
      const stats = await this.client.call<SessionStats>('session-stats');
      this.failures = 0;
      this.set({
        stats,
        connection: 'online',
        problem: '',
        ticks: this.state.ticks + 1,
        history: addSample(
          this.state.history,
          { at: this.now(), down: stats.downloadSpeed, up: stats.uploadSpeed },
          this.historyMs,
        ),
      });
      this.schedule(this.intervalMs);
    } catch (error) {
      const code = error instanceof RpcClientError ? error.code : 'connection-lost';
      if (code === 'unauthorized') {
        this.needsFullList = true;
        this.set({ connection: 'unauthorized', problem: (error as Error).message });
        return; // waits for credentials
      }
      this.failures++;
      this.needsFullList = true;
      this.set({
        connection: 'lost',
        problem: error instanceof Error ? error.message : String(error),
      });
      this.schedule(Math.min(this.intervalMs * 2 ** Math.min(this.failures - 1, 3), 10_000));
    }
  }

  private recordRates(rows: readonly Partial<Torrent>[]): void {
    const at = this.now();
    const histories = new Map(this.state.histories);
    for (const row of rows) {
      if (row.id === undefined) continue;
      histories.set(
        row.id,
        addSample(
          histories.get(row.id) ?? [],
          { at, down: row.rateDownload ?? 0, up: row.rateUpload ?? 0 },
          this.historyMs,
        ),
      );
    }
    for (const id of histories.keys()) if (!this.state.table.byId.has(id)) histories.delete(id);
    this.set({ histories });
  }
}
