/**
 * The page: a toolbar, the filters, the torrent list, the details of the open torrent, the
 * status bar with the global rates, and the dialogs (add, settings, remove, login, keys).
 * Everything goes through btd's Transmission RPC.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AddDialog } from './components/add-dialog.js';
import { Details } from './components/details.js';
import { Dialog } from './components/dialog.js';
import { RateChart } from './components/rate-chart.js';
import { SessionDialog } from './components/session-dialog.js';
import { TorrentList } from './components/torrent-list.js';
import { formatBytes, formatRate, type StatusFilter } from './format.js';
import {
  filterTorrents,
  labelCounts,
  rangeSelection,
  sortTorrents,
  statusCounts,
  type ListFilter,
  type SortColumn,
  type SortOrder,
} from './list-view.js';
import { LiveUpdates, type LiveState } from './live.js';
import { RpcClient } from './rpc-client.js';

const STATUS_TITLES: [StatusFilter, string][] = [
  ['all', 'All'],
  ['active', 'Active'],
  ['downloading', 'Downloading'],
  ['seeding', 'Seeding'],
  ['stopped', 'Stopped'],
  ['checking', 'Checking'],
  ['queued', 'Queued'],
  ['error', 'Error'],
];

type Modal =
  | { kind: 'add'; files?: File[]; link?: string }
  | { kind: 'remove'; ids: number[] }
  | { kind: 'settings' }
  | { kind: 'keys' }
  | undefined;

function usePhoneWidth(): boolean {
  const query = useMemo(() => matchMedia('(max-width: 700px)'), []);
  const [phone, setPhone] = useState(query.matches);
  useEffect(() => {
    const listener = () => setPhone(query.matches);
    query.addEventListener('change', listener);
    return () => query.removeEventListener('change', listener);
  }, []);
  return phone;
}

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  if (element.tagName === 'INPUT')
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(
      (element as HTMLInputElement).type,
    );
  return (
    element.isContentEditable || element.tagName === 'TEXTAREA' || element.tagName === 'SELECT'
  );
}

export function App({ client = new RpcClient() }: { client?: RpcClient }) {
  const [state, setState] = useState<LiveState | undefined>();
  const live = useMemo(() => new LiveUpdates(client, setState), []);
  const [order, setOrder] = useState<SortOrder>({ column: 'queue', descending: false });
  const [filter, setFilter] = useState<ListFilter>({ status: 'all', label: '', text: '' });
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [anchor, setAnchor] = useState<number | undefined>();
  const [openId, setOpenId] = useState<number | undefined>();
  const [modal, setModal] = useState<Modal>();
  const [notice, setNotice] = useState('');
  const [dragging, setDragging] = useState(false);
  const search = useRef<HTMLInputElement>(null);
  const phone = usePhoneWidth();

  useEffect(() => {
    live.start();
    return () => live.stop();
  }, []);

  const table = state?.table;
  // For the tests and the bench: when the first full list was on screen (after paint).
  useEffect(() => {
    if (table && table.byId.size > 0 && performance.getEntriesByName('bt-list-shown').length === 0)
      performance.mark('bt-list-shown');
  }, [table]);
  const all = useMemo(() => (table ? [...table.byId.values()] : []), [table]);
  const shown = useMemo(
    () => sortTorrents(filterTorrents(all, filter), order),
    [all, filter, order],
  );
  const shownIds = useMemo(() => shown.map((torrent) => torrent.id), [shown]);
  const counts = useMemo(() => statusCounts(all), [all]);
  const labels = useMemo(() => labelCounts(all), [all]);
  const targets = (): number[] => shownIds.filter((id) => selected.has(id));

  const act = async (method: string, args: Record<string, unknown>): Promise<boolean> => {
    try {
      await client.call(method, args);
      setNotice('');
      const ids = Array.isArray(args.ids) ? (args.ids as number[]) : undefined;
      await live.refresh({ ids });
      return true;
    } catch (error) {
      setNotice(`${method}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  };
  const onSelected = (method: string) => {
    const ids = targets();
    if (ids.length > 0) void act(method, { ids });
  };

  const select = (id: number, how: 'only' | 'toggle' | 'range') => {
    if (how === 'range') {
      setSelected(new Set(rangeSelection(shownIds, anchor, id)));
      return;
    }
    setAnchor(id);
    if (how === 'toggle') {
      const next = new Set(selected);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setSelected(next);
    } else setSelected(new Set([id]));
  };
  const moveSelection = (step: number) => {
    if (shownIds.length === 0) return;
    const current = anchor === undefined ? -1 : shownIds.indexOf(anchor);
    const next = shownIds[Math.max(0, Math.min(shownIds.length - 1, current + step))]!;
    setAnchor(next);
    setSelected(new Set([next]));
    document.querySelector(`[data-id="${next}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  // Keyboard shortcuts, drag and drop and paste anywhere on the page.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (modal || isTyping(event.target)) return;
      const ids = targets();
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'a') {
        event.preventDefault();
        setSelected(new Set(shownIds));
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        if (ids.length > 0) setModal({ kind: 'remove', ids });
      } else if (event.key === 'Enter') {
        if (ids.length > 0) setOpenId(ids[0]);
      } else if (event.key === 'Escape') {
        if (openId !== undefined) setOpenId(undefined);
        else setSelected(new Set());
      } else if (event.key === 's') onSelected('torrent-start');
      else if (event.key === 'p') onSelected('torrent-stop');
      else if (event.key === 'v') onSelected('torrent-verify');
      else if (event.key === 'o') setModal({ kind: 'add' });
      else if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
      } else if (event.key === '?') setModal({ kind: 'keys' });
      else if (event.key === 'ArrowDown' || event.key === 'j') {
        event.preventDefault();
        moveSelection(1);
      } else if (event.key === 'ArrowUp' || event.key === 'k') {
        event.preventDefault();
        moveSelection(-1);
      }
    };
    const onPaste = (event: ClipboardEvent) => {
      if (modal || isTyping(event.target)) return;
      const text = event.clipboardData?.getData('text') ?? '';
      if (/^\s*(magnet:|https?:\/\/)/i.test(text)) {
        event.preventDefault();
        setModal({ kind: 'add', link: text.trim() });
      }
    };
    const onDragOver = (event: DragEvent) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      setDragging(true);
    };
    const onDragLeave = (event: DragEvent) => {
      if (event.relatedTarget === null) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      const files = [...(event.dataTransfer?.files ?? [])].filter(
        (file) => /\.torrent$/i.test(file.name) || file.type === 'application/x-bittorrent',
      );
      setDragging(false);
      if (files.length === 0) return;
      event.preventDefault();
      setModal({ kind: 'add', files });
    };
    addEventListener('keydown', onKey);
    addEventListener('paste', onPaste);
    addEventListener('dragover', onDragOver);
    addEventListener('dragleave', onDragLeave);
    addEventListener('drop', onDrop);
    return () => {
      removeEventListener('keydown', onKey);
      removeEventListener('paste', onPaste);
      removeEventListener('dragover', onDragOver);
      removeEventListener('dragleave', onDragLeave);
      removeEventListener('drop', onDrop);
    };
  });

  const sortBy = (column: SortColumn) =>
    setOrder(
      order.column === column
        ? { column, descending: !order.descending }
        : { column, descending: column !== 'name' && column !== 'queue' },
    );

  const settings = state?.settings;
  const stats = state?.stats;
  const altSpeed = settings?.['alt-speed-enabled'] === true;
  const opened = openId !== undefined ? table?.byId.get(openId) : undefined;
  const selectionCount = targets().length;
  const connection = state?.connection ?? 'connecting';

  if (connection === 'unauthorized')
    return <Login client={client} live={live} problem={state?.problem ?? ''} />;

  return (
    <div
      class={`app${opened ? ' with-details' : ''}${dragging ? ' dragging' : ''}`}
      data-connection={connection}
    >
      <header class="toolbar">
        <h1 class="brand">bt</h1>
        <button
          type="button"
          class="primary"
          onClick={() => setModal({ kind: 'add' })}
          aria-keyshortcuts="o"
        >
          Add
        </button>
        <div class="button-row" role="group" aria-label="Selected torrents">
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => onSelected('torrent-start')}
            aria-keyshortcuts="s"
          >
            Start
          </button>
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => onSelected('torrent-stop')}
            aria-keyshortcuts="p"
          >
            Stop
          </button>
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => setModal({ kind: 'remove', ids: targets() })}
            aria-keyshortcuts="Delete"
          >
            Remove
          </button>
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => onSelected('torrent-verify')}
            aria-keyshortcuts="v"
          >
            Recheck
          </button>
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => onSelected('torrent-reannounce')}
          >
            Reannounce
          </button>
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => onSelected('queue-move-up')}
            aria-label="Move up in the queue"
          >
            ↑
          </button>
          <button
            type="button"
            disabled={selectionCount === 0}
            onClick={() => onSelected('queue-move-down')}
            aria-label="Move down in the queue"
          >
            ↓
          </button>
        </div>
        <input
          ref={search}
          type="search"
          class="search"
          placeholder="Filter by name"
          aria-label="Filter by name"
          aria-keyshortcuts="/"
          value={filter.text}
          onInput={(event) => setFilter({ ...filter, text: event.currentTarget.value })}
        />
        <button
          type="button"
          class={altSpeed ? 'toggle on' : 'toggle'}
          aria-pressed={altSpeed}
          title="Alternative speed limits"
          onClick={() => void act('session-set', { 'alt-speed-enabled': !altSpeed })}
        >
          Alt speed
        </button>
        <button type="button" onClick={() => setModal({ kind: 'settings' })} disabled={!settings}>
          Settings
        </button>
        <button
          type="button"
          class="icon"
          aria-label="Keyboard shortcuts"
          onClick={() => setModal({ kind: 'keys' })}
        >
          ?
        </button>
      </header>
      <nav class="filters" aria-label="Filters">
        <label>
          Status
          <select
            value={filter.status}
            onChange={(event) =>
              setFilter({ ...filter, status: event.currentTarget.value as StatusFilter })
            }
          >
            {STATUS_TITLES.map(([value, title]) => (
              <option key={value} value={value}>
                {title} ({counts[value]})
              </option>
            ))}
          </select>
        </label>
        <label>
          Label
          <select
            value={filter.label}
            onChange={(event) => setFilter({ ...filter, label: event.currentTarget.value })}
          >
            <option value="">Any label</option>
            {labels.map(([label, count]) => (
              <option key={label} value={label}>
                {label} ({count})
              </option>
            ))}
          </select>
        </label>
        <span class="count" aria-live="polite">
          {shown.length} of {all.length} shown
          {selectionCount > 0 ? `, ${selectionCount} selected` : ''}
        </span>
      </nav>
      {connection !== 'online' && (
        <div class={`banner ${connection}`} role="status">
          {connection === 'connecting'
            ? 'Connecting to btd…'
            : `Connection to btd lost (${state?.problem ?? ''}); retrying…`}
        </div>
      )}
      {notice && (
        <div class="banner error" role="alert">
          {notice}
          <button type="button" class="icon" aria-label="Dismiss" onClick={() => setNotice('')}>
            ✕
          </button>
        </div>
      )}
      <main class="main">
        <TorrentList
          torrents={shown}
          selected={selected}
          order={order}
          onSort={sortBy}
          onSelect={select}
          onOpen={setOpenId}
          rowHeight={phone ? 64 : 40}
        />
        {opened && (
          <Details
            torrent={opened}
            client={client}
            history={state?.histories.get(opened.id) ?? []}
            tick={state?.ticks ?? 0}
            onClose={() => setOpenId(undefined)}
            act={act}
          />
        )}
      </main>
      <footer class="status-bar">
        <RateChart samples={state?.history ?? []} label="Global rates" height={24} compact />
        <span class="rate-down" title="Download rate">
          ▼ {formatRate(stats?.downloadSpeed ?? 0)}
        </span>
        <span class="rate-up" title="Upload rate">
          ▲ {formatRate(stats?.uploadSpeed ?? 0)}
        </span>
        {settings && (
          <span class="limits">
            limits ▼ {limitText(settings, 'down', altSpeed)} ▲ {limitText(settings, 'up', altSpeed)}
          </span>
        )}
        {stats && (
          <span class="totals">
            total ▼ {formatBytes(stats['cumulative-stats'].downloadedBytes)} ▲{' '}
            {formatBytes(stats['cumulative-stats'].uploadedBytes)}
          </span>
        )}
        <span class="version">{settings?.version ?? ''}</span>
      </footer>
      {dragging && (
        <div class="drop-hint" aria-hidden="true">
          Drop .torrent files to add them
        </div>
      )}
      {modal?.kind === 'add' && (
        <AddDialog
          client={client}
          defaultFolder={settings?.['download-dir'] ?? ''}
          initialFiles={modal.files}
          initialLink={modal.link}
          onClose={() => setModal(undefined)}
          onAdded={(ids) => {
            setSelected(new Set(ids));
            void live.refresh({ ids });
          }}
        />
      )}
      {modal?.kind === 'remove' && (
        <RemoveDialog
          count={modal.ids.length}
          names={modal.ids.map((id) => table?.byId.get(id)?.name ?? String(id))}
          onClose={() => setModal(undefined)}
          onRemove={(withData) => {
            const ids = modal.ids;
            setModal(undefined);
            setSelected(new Set());
            if (openId !== undefined && ids.includes(openId)) setOpenId(undefined);
            void act('torrent-remove', { ids, 'delete-local-data': withData });
          }}
        />
      )}
      {modal?.kind === 'settings' && settings && (
        <SessionDialog
          client={client}
          settings={settings}
          stats={stats}
          onClose={() => setModal(undefined)}
          onSaved={() => void live.refresh({ full: true })}
        />
      )}
      {modal?.kind === 'keys' && <KeysDialog onClose={() => setModal(undefined)} />}
    </div>
  );
}

function limitText(
  settings: Record<string, unknown>,
  direction: 'down' | 'up',
  alt: boolean,
): string {
  if (alt) return `${Number(settings[`alt-speed-${direction}`])} KiB/s (alt)`;
  return settings[`speed-limit-${direction}-enabled`] === true
    ? `${Number(settings[`speed-limit-${direction}`])} KiB/s`
    : 'none';
}

function RemoveDialog({
  count,
  names,
  onClose,
  onRemove,
}: {
  count: number;
  names: string[];
  onClose: () => void;
  onRemove: (withData: boolean) => void;
}) {
  const [withData, setWithData] = useState(false);
  return (
    <Dialog
      title={count === 1 ? 'Remove this torrent?' : `Remove ${count} torrents?`}
      onClose={onClose}
      class="remove-dialog"
    >
      <ul class="chosen">
        {names.slice(0, 10).map((name, index) => (
          <li key={index}>{name}</li>
        ))}
        {names.length > 10 && <li>and {names.length - 10} more</li>}
      </ul>
      <label class="inline">
        <input
          type="checkbox"
          name="delete-data"
          checked={withData}
          onChange={(event) => setWithData(event.currentTarget.checked)}
        />
        Also delete the downloaded data
      </label>
      <div class="button-row">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={() => onRemove(withData)}>
          {withData ? 'Remove and delete data' : 'Remove'}
        </button>
      </div>
    </Dialog>
  );
}

function KeysDialog({ onClose }: { onClose: () => void }) {
  const keys: [string, string][] = [
    ['Ctrl+A', 'select all shown'],
    ['↑ ↓ or j k', 'move the selection'],
    ['Enter', 'open details'],
    ['s', 'start'],
    ['p', 'stop'],
    ['v', 'recheck'],
    ['Delete', 'remove'],
    ['o', 'add torrents'],
    ['/', 'filter by name'],
    ['Esc', 'close details, clear the selection'],
    ['Ctrl+V', 'paste a magnet link or URL to add it'],
  ];
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <dl class="keys">
        {keys.map(([key, what]) => (
          <>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </>
        ))}
      </dl>
    </Dialog>
  );
}

function Login({
  client,
  live,
  problem,
}: {
  client: RpcClient;
  live: LiveUpdates;
  problem: string;
}) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  return (
    <main class="login">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          client.setCredentials(user, password);
          live.start();
        }}
      >
        <h1>Sign in to btd</h1>
        <p role="alert">{problem}</p>
        <label>
          User name
          <input
            name="username"
            autocomplete="username"
            value={user}
            onInput={(event) => setUser(event.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
