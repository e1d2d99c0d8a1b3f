/**
 * One torrent in detail: an overview with its live rate chart and piece map, its files as a
 * tree (wanted toggles and priorities), its peers, its sources (trackers, [DHT], [Local Peer
 * Discovery], [Peer Exchange], as btd reports them) and its options (limits, labels, location).
 */
import { useEffect, useState } from 'preact/hooks';
import { buildFileTree, type FileNode } from '../file-tree.js';
import {
  formatBytes,
  formatDate,
  formatEta,
  formatIn,
  formatPercent,
  formatRate,
  formatRatio,
  statusText,
} from '../format.js';
import type { RateSample } from '../rate-history.js';
import type { RpcClient } from '../rpc-client.js';
import { DETAIL_FIELDS, type Torrent, type TorrentDetails, type TrackerStat } from '../types.js';
import { PieceMap } from './piece-map.js';
import { RateChart } from './rate-chart.js';

type Tab = 'overview' | 'files' | 'peers' | 'sources' | 'options';
const TABS: { tab: Tab; title: string }[] = [
  { tab: 'overview', title: 'Overview' },
  { tab: 'files', title: 'Files' },
  { tab: 'peers', title: 'Peers' },
  { tab: 'sources', title: 'Sources' },
  { tab: 'options', title: 'Options' },
];

export interface DetailsProps {
  torrent: Torrent;
  client: RpcClient;
  history: readonly RateSample[];
  /** Bumped on every live tick so the details are asked for again. */
  tick: number;
  onClose: () => void;
  /** Runs a change through the page (errors shown, the list refreshed). */
  act: (method: string, args: Record<string, unknown>) => Promise<boolean>;
}

export function Details({ torrent, client, history, tick, onClose, act }: DetailsProps) {
  const [tab, setTab] = useState<Tab>('overview');
  const [details, setDetails] = useState<TorrentDetails | undefined>();
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let cancelled = false;
    client
      .call<{ torrents: TorrentDetails[] }>('torrent-get', {
        ids: [torrent.id],
        fields: DETAIL_FIELDS,
      })
      .then((answer) => {
        if (!cancelled) setDetails(answer.torrents[0]);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [torrent.id, tick, version]);
  const change = async (method: string, args: Record<string, unknown>): Promise<void> => {
    await act(method, { ids: [torrent.id], ...args });
    setVersion((value) => value + 1);
  };
  return (
    <aside class="details" aria-label={`Details of ${torrent.name}`}>
      <header class="details-header">
        <h2 title={torrent.name}>{torrent.name}</h2>
        <button type="button" class="icon" aria-label="Close details" onClick={onClose}>
          ✕
        </button>
      </header>
      <div class="tabs" role="tablist" aria-label="Detail sections">
        {TABS.map((item) => (
          <button
            key={item.tab}
            type="button"
            role="tab"
            id={`tab-${item.tab}`}
            aria-selected={tab === item.tab}
            aria-controls={`panel-${item.tab}`}
            onClick={() => setTab(item.tab)}
          >
            {item.title}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'overview' && <Overview torrent={torrent} details={details} history={history} />}
        {tab === 'files' && details && <Files details={details} change={change} />}
        {tab === 'peers' && details && <Peers details={details} />}
        {tab === 'sources' && details && <Sources details={details} />}
        {tab === 'options' && details && (
          <Options torrent={torrent} details={details} change={change} />
        )}
        {!details && tab !== 'overview' && <p>Loading…</p>}
      </div>
    </aside>
  );
}

function Overview({
  torrent,
  details,
  history,
}: {
  torrent: Torrent;
  details: TorrentDetails | undefined;
  history: readonly RateSample[];
}) {
  const samples = [...history];
  const last = samples.at(-1);
  const now = Date.now();
  if (!last || now - last.at > 3000)
    samples.push({ at: now, down: torrent.rateDownload, up: torrent.rateUpload });
  return (
    <div class="overview">
      <RateChart samples={samples} label={`Rates of ${torrent.name}`} />
      <dl class="facts">
        <dt>Status</dt>
        <dd>{statusText(torrent)}</dd>
        <dt>Progress</dt>
        <dd>
          {formatPercent(torrent.percentDone)} of {formatBytes(torrent.sizeWhenDone)}
        </dd>
        <dt>Down / up</dt>
        <dd>
          {formatRate(torrent.rateDownload)} / {formatRate(torrent.rateUpload)}
        </dd>
        <dt>Downloaded / uploaded</dt>
        <dd>
          {formatBytes(torrent.downloadedEver)} / {formatBytes(torrent.uploadedEver)}
        </dd>
        <dt>Ratio</dt>
        <dd>{formatRatio(torrent.uploadRatio)}</dd>
        <dt>ETA</dt>
        <dd>{formatEta(torrent.eta)}</dd>
        <dt>Peers</dt>
        <dd>
          {torrent.peersSendingToUs} sending, {torrent.peersGettingFromUs} receiving,{' '}
          {torrent.peersConnected} connected
        </dd>
        <dt>Folder</dt>
        <dd class="path">{torrent.downloadDir}</dd>
        <dt>Hash</dt>
        <dd class="path">{torrent.hashString}</dd>
        {details && (
          <>
            <dt>Pieces</dt>
            <dd>
              {details.pieceCount} × {formatBytes(details.pieceSize)}
            </dd>
            <dt>Added / done</dt>
            <dd>
              {formatDate(torrent.addedDate)} / {formatDate(details.doneDate)}
            </dd>
            {details.comment && (
              <>
                <dt>Comment</dt>
                <dd>{details.comment}</dd>
              </>
            )}
            <dt>Private</dt>
            <dd>{details.isPrivate ? 'yes' : 'no'}</dd>
            <dt>Corrupt</dt>
            <dd>{formatBytes(details.corruptEver)}</dd>
          </>
        )}
      </dl>
      {details && <PieceMap pieces={details.pieces} pieceCount={details.pieceCount} />}
      {details?.magnetLink && (
        <p class="magnet">
          <a href={details.magnetLink}>Magnet link</a>
        </p>
      )}
    </div>
  );
}

const PRIORITIES: [number, string][] = [
  [1, 'High'],
  [0, 'Normal'],
  [-1, 'Low'],
];

function Files({
  details,
  change,
}: {
  details: TorrentDetails;
  change: (method: string, args: Record<string, unknown>) => Promise<void>;
}) {
  const tree = buildFileTree(details.files, details.fileStats);
  const top =
    tree.children.length === 1 && tree.children[0]!.fileIndex === undefined
      ? tree.children[0]!
      : tree;
  return (
    <ul class="file-tree" role="tree" aria-label="Files">
      {top.children.map((node) => (
        <FileRow key={node.path} node={node} depth={0} change={change} />
      ))}
    </ul>
  );
}

function FileRow({
  node,
  depth,
  change,
}: {
  node: FileNode;
  depth: number;
  change: (method: string, args: Record<string, unknown>) => Promise<void>;
}) {
  const [open, setOpen] = useState(depth < 1);
  const folder = node.fileIndex === undefined;
  const progress = node.length > 0 ? node.bytesCompleted / node.length : 1;
  return (
    <li
      role="treeitem"
      aria-expanded={folder ? open : undefined}
      aria-selected={false}
      class="file"
      data-file={node.fileIndex}
    >
      <div class="file-row" style={{ paddingLeft: `${depth * 16}px` }}>
        {folder ? (
          <button
            type="button"
            class="icon twisty"
            aria-label={open ? `Collapse ${node.name}` : `Expand ${node.name}`}
            onClick={() => setOpen(!open)}
          >
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span class="twisty" />
        )}
        <input
          type="checkbox"
          aria-label={`Download ${node.name}`}
          checked={node.wanted === true}
          indeterminate={node.wanted === 'mixed'}
          onChange={(event) =>
            void change('torrent-set', {
              [event.currentTarget.checked ? 'files-wanted' : 'files-unwanted']: node.indexes,
            })
          }
        />
        <span class="file-name" title={node.name}>
          {node.name}
        </span>
        <span class="file-size">
          {formatPercent(progress)} of {formatBytes(node.length)}
        </span>
        <select
          aria-label={`Priority of ${node.name}`}
          value={node.priority === 'mixed' ? '' : String(node.priority)}
          onChange={(event) => {
            const value = Number(event.currentTarget.value);
            const key =
              value > 0 ? 'priority-high' : value < 0 ? 'priority-low' : 'priority-normal';
            void change('torrent-set', { [key]: node.indexes });
          }}
        >
          {node.priority === 'mixed' && <option value="">Mixed</option>}
          {PRIORITIES.map(([value, title]) => (
            <option key={value} value={String(value)}>
              {title}
            </option>
          ))}
        </select>
      </div>
      {folder && open && (
        <ul role="group">
          {node.children.map((child) => (
            <FileRow key={child.path} node={child} depth={depth + 1} change={change} />
          ))}
        </ul>
      )}
    </li>
  );
}

function Peers({ details }: { details: TorrentDetails }) {
  if (details.peers.length === 0) return <p>No peers connected.</p>;
  return (
    <table class="table peers">
      <caption class="visually-hidden">Connected peers</caption>
      <thead>
        <tr>
          <th scope="col">Address</th>
          <th scope="col">Client</th>
          <th scope="col">Flags</th>
          <th scope="col">Has</th>
          <th scope="col">Down</th>
          <th scope="col">Up</th>
        </tr>
      </thead>
      <tbody>
        {details.peers.map((peer) => (
          <tr key={`${peer.address}:${peer.port}`}>
            <td class="path">
              {peer.address}:{peer.port}
            </td>
            <td>{peer.clientName}</td>
            <td title={peerFlags(peer)}>
              {peer.flagStr}
              {peer.isEncrypted && <span class="badge">encrypted</span>}
              {peer.isUTP && <span class="badge">uTP</span>}
            </td>
            <td>{formatPercent(peer.progress)}</td>
            <td>{formatRate(peer.rateToClient)}</td>
            <td>{formatRate(peer.rateToPeer)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function peerFlags(peer: { flagStr: string }): string {
  const meaning: Record<string, string> = {
    O: 'optimistic unchoke',
    D: 'downloading from',
    d: 'would download from',
    U: 'uploading to',
    u: 'would upload to',
    K: 'they unchoked us',
    '?': 'we unchoked them',
    E: 'encrypted',
    H: 'from DHT',
    X: 'from peer exchange',
    I: 'incoming',
    T: 'uTP',
  };
  return [...peer.flagStr].map((flag) => meaning[flag] ?? flag).join(', ');
}

function trackerStatus(row: TrackerStat): string {
  if (row.announceState === 3) return 'Announcing';
  if (row.lastAnnounceSucceeded) return row.lastAnnounceResult || 'Working';
  return row.lastAnnounceResult || 'Waiting';
}

function Sources({ details }: { details: TorrentDetails }) {
  const now = Date.now() / 1000;
  return (
    <table class="table sources">
      <caption class="visually-hidden">Sources of peers</caption>
      <thead>
        <tr>
          <th scope="col">Source</th>
          <th scope="col">Status</th>
          <th scope="col">Next update</th>
          <th scope="col">Seeds</th>
          <th scope="col">Peers</th>
        </tr>
      </thead>
      <tbody>
        {details.trackerStats.map((row) => (
          <tr key={row.id} data-source={row.announce}>
            <td class="path" title={row.announce}>
              {row.announce.startsWith('[') ? row.announce : row.host || row.announce}
            </td>
            <td>{trackerStatus(row)}</td>
            <td>{formatIn(row.nextAnnounceTime, now)}</td>
            <td>{row.seederCount >= 0 ? row.seederCount : '–'}</td>
            <td>{row.lastAnnouncePeerCount}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Options({
  torrent,
  details,
  change,
}: {
  torrent: Torrent;
  details: TorrentDetails;
  change: (method: string, args: Record<string, unknown>) => Promise<void>;
}) {
  const [labels, setLabels] = useState(torrent.labels.join(', '));
  const [location, setLocation] = useState(torrent.downloadDir);
  const [down, setDown] = useState(String(details.downloadLimit));
  const [up, setUp] = useState(String(details.uploadLimit));
  const [downOn, setDownOn] = useState(details.downloadLimited);
  const [upOn, setUpOn] = useState(details.uploadLimited);
  const [ratioMode, setRatioMode] = useState(String(details.seedRatioMode));
  const [ratio, setRatio] = useState(String(details.seedRatioLimit));
  return (
    <div class="options">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void change('torrent-set', {
            labels: labels
              .split(',')
              .map((label) => label.trim())
              .filter(Boolean),
          });
        }}
      >
        <label>
          Labels (comma separated)
          <input value={labels} onInput={(event) => setLabels(event.currentTarget.value)} />
        </label>
        <button type="submit">Save labels</button>
      </form>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void change('torrent-set', {
            downloadLimited: downOn,
            downloadLimit: Number(down) || 0,
            uploadLimited: upOn,
            uploadLimit: Number(up) || 0,
            seedRatioMode: Number(ratioMode),
            seedRatioLimit: Number(ratio) || 0,
          });
        }}
      >
        <fieldset>
          <legend>Limits</legend>
          <label class="inline">
            <input
              type="checkbox"
              checked={downOn}
              onChange={(event) => setDownOn(event.currentTarget.checked)}
            />
            Download limit (KiB/s)
          </label>
          <input
            type="number"
            min="0"
            aria-label="Download limit in KiB/s"
            value={down}
            onInput={(event) => setDown(event.currentTarget.value)}
          />
          <label class="inline">
            <input
              type="checkbox"
              checked={upOn}
              onChange={(event) => setUpOn(event.currentTarget.checked)}
            />
            Upload limit (KiB/s)
          </label>
          <input
            type="number"
            min="0"
            aria-label="Upload limit in KiB/s"
            value={up}
            onInput={(event) => setUp(event.currentTarget.value)}
          />
          <label>
            Seeding ratio
            <select value={ratioMode} onChange={(event) => setRatioMode(event.currentTarget.value)}>
              <option value="0">Use the global setting</option>
              <option value="1">Stop at this ratio</option>
              <option value="2">Seed without limit</option>
            </select>
          </label>
          <input
            type="number"
            min="0"
            step="0.1"
            aria-label="Ratio limit"
            value={ratio}
            onInput={(event) => setRatio(event.currentTarget.value)}
          />
        </fieldset>
        <button type="submit">Save limits</button>
      </form>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void change('torrent-set-location', { location, move: true });
        }}
      >
        <label>
          Move data to
          <input value={location} onInput={(event) => setLocation(event.currentTarget.value)} />
        </label>
        <button type="submit">Move</button>
      </form>
      <div class="button-row" role="group" aria-label="Queue order">
        <button type="button" onClick={() => void change('queue-move-top', {})}>
          Queue top
        </button>
        <button type="button" onClick={() => void change('queue-move-up', {})}>
          Queue up
        </button>
        <button type="button" onClick={() => void change('queue-move-down', {})}>
          Queue down
        </button>
        <button type="button" onClick={() => void change('queue-move-bottom', {})}>
          Queue bottom
        </button>
      </div>
    </div>
  );
}
