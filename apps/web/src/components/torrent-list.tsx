/**
 * The torrent list: a grid with sortable columns, drawn only where it is scrolled to (so a
 * thousand rows cost what twenty do), rows that redraw only when their torrent changed, and
 * selection by click, Ctrl/Cmd-click, Shift-click and a checkbox per row.
 */
import { Component } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  formatBytes,
  formatEta,
  formatPercent,
  formatRate,
  formatRatio,
  statusKind,
  statusText,
} from '../format.js';
import type { SortColumn, SortOrder } from '../list-view.js';
import type { Torrent } from '../types.js';

export interface TorrentListProps {
  torrents: readonly Torrent[];
  selected: ReadonlySet<number>;
  order: SortOrder;
  onSort: (column: SortColumn) => void;
  onSelect: (id: number, how: 'only' | 'toggle' | 'range') => void;
  onOpen: (id: number) => void;
  rowHeight: number;
}

const COLUMNS: { column: SortColumn; title: string; class: string }[] = [
  { column: 'name', title: 'Name', class: 'col-name' },
  { column: 'size', title: 'Size', class: 'col-size' },
  { column: 'progress', title: 'Progress', class: 'col-progress' },
  { column: 'status', title: 'Status', class: 'col-status' },
  { column: 'down', title: 'Down', class: 'col-down' },
  { column: 'up', title: 'Up', class: 'col-up' },
  { column: 'eta', title: 'ETA', class: 'col-eta' },
  { column: 'ratio', title: 'Ratio', class: 'col-ratio' },
  { column: 'peers', title: 'Peers', class: 'col-peers' },
];

const OVERSCAN = 8;

export function TorrentList(props: TorrentListProps) {
  const { torrents, rowHeight } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const last = Math.min(torrents.length, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);
  const rows = [];
  for (let index = first; index < last; index++) {
    const torrent = torrents[index]!;
    rows.push(
      <Row
        key={torrent.id}
        torrent={torrent}
        index={index}
        top={index * rowHeight}
        height={rowHeight}
        selected={props.selected.has(torrent.id)}
        onSelect={props.onSelect}
        onOpen={props.onOpen}
      />,
    );
  }
  return (
    <div
      class="torrent-list"
      role="grid"
      aria-label="Torrents"
      aria-multiselectable="true"
      aria-rowcount={torrents.length + 1}
    >
      <div class="list-header" role="row" aria-rowindex={1}>
        <div role="columnheader" class="col-check">
          <span class="visually-hidden">Selected</span>
        </div>
        {COLUMNS.map((column) => {
          const active = props.order.column === column.column;
          return (
            <div
              key={column.column}
              role="columnheader"
              class={column.class}
              aria-sort={active ? (props.order.descending ? 'descending' : 'ascending') : 'none'}
            >
              <button type="button" class="sort" onClick={() => props.onSort(column.column)}>
                {column.title}
                {active ? (props.order.descending ? ' ▾' : ' ▴') : ''}
              </button>
            </div>
          );
        })}
      </div>
      <div
        class="list-viewport"
        ref={viewport}
        onScroll={(event) => setScrollTop((event.currentTarget as HTMLElement).scrollTop)}
      >
        <div class="list-body" style={{ height: `${torrents.length * rowHeight}px` }}>
          {rows}
        </div>
        {torrents.length === 0 && (
          <p class="empty">
            No torrents here. Drop a .torrent file or paste a magnet link to add one.
          </p>
        )}
      </div>
    </div>
  );
}

interface RowProps {
  torrent: Torrent;
  index: number;
  top: number;
  height: number;
  selected: boolean;
  onSelect: TorrentListProps['onSelect'];
  onOpen: TorrentListProps['onOpen'];
}

class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const current = this.props;
    return (
      next.torrent !== current.torrent ||
      next.selected !== current.selected ||
      next.top !== current.top ||
      next.height !== current.height
    );
  }

  override render() {
    const { torrent, selected, top, height, index, onSelect, onOpen } = this.props;
    const kind = statusKind(torrent);
    const progress = kind === 'checking' ? torrent.recheckProgress : torrent.percentDone;
    return (
      <div
        role="row"
        class={`row status-${kind}${selected ? ' selected' : ''}`}
        aria-selected={selected}
        aria-rowindex={index + 2}
        data-id={torrent.id}
        data-hash={torrent.hashString}
        style={{ transform: `translateY(${top}px)`, height: `${height}px` }}
        onClick={(event) =>
          onSelect(
            torrent.id,
            event.shiftKey ? 'range' : event.ctrlKey || event.metaKey ? 'toggle' : 'only',
          )
        }
        onDblClick={() => onOpen(torrent.id)}
      >
        <div role="gridcell" class="col-check">
          <input
            type="checkbox"
            checked={selected}
            aria-label={`Select ${torrent.name}`}
            onClick={(event) => {
              event.stopPropagation();
              onSelect(torrent.id, event.shiftKey ? 'range' : 'toggle');
            }}
          />
        </div>
        <div role="gridcell" class="col-name">
          <button
            type="button"
            class="name link"
            title={torrent.name}
            onClick={(event) => {
              event.stopPropagation();
              onOpen(torrent.id);
            }}
          >
            {torrent.name}
          </button>
          {torrent.labels.length > 0 && (
            <span class="labels">
              {torrent.labels.map((label) => (
                <span key={label} class="label">
                  {label}
                </span>
              ))}
            </span>
          )}
        </div>
        <div role="gridcell" class="col-size">
          {formatBytes(torrent.sizeWhenDone)}
        </div>
        <div role="gridcell" class="col-progress">
          <div
            class="progress"
            role="progressbar"
            aria-label={`${torrent.name} progress`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(progress * 1000) / 10}
          >
            <div class="progress-fill" style={{ width: `${progress * 100}%` }} />
            <span class="progress-text">{formatPercent(progress)}</span>
          </div>
        </div>
        <div role="gridcell" class="col-status" title={torrent.errorString || undefined}>
          {statusText(torrent)}
        </div>
        <div role="gridcell" class="col-down">
          {formatRate(torrent.rateDownload)}
        </div>
        <div role="gridcell" class="col-up">
          {formatRate(torrent.rateUpload)}
        </div>
        <div role="gridcell" class="col-eta">
          {formatEta(torrent.eta)}
        </div>
        <div role="gridcell" class="col-ratio">
          {formatRatio(torrent.uploadRatio)}
        </div>
        <div role="gridcell" class="col-peers" title="peers sending to us / connected peers">
          {torrent.peersSendingToUs}/{torrent.peersConnected}
        </div>
      </div>
    );
  }
}
