/**
 * The session: the settings people change most (download folder with its free space, speed
 * limits, the alternative speeds, seeding ratio, peers, queues, the peer port), and the
 * cumulative statistics, all through `session-get`/`session-set`/`session-stats`/`free-space`.
 */
import { useEffect, useState } from 'preact/hooks';
import { formatBytes, formatEta, formatRatio } from '../format.js';
import type { RpcClient } from '../rpc-client.js';
import type { CumulativeStats, SessionSettings, SessionStats } from '../types.js';
import { Dialog } from './dialog.js';

export interface SessionDialogProps {
  client: RpcClient;
  settings: SessionSettings;
  stats: SessionStats | undefined;
  onClose: () => void;
  onSaved: () => void;
}

type Field =
  | { key: string; title: string; kind: 'number'; unit?: string; step?: string }
  | { key: string; title: string; kind: 'boolean' }
  | { key: string; title: string; kind: 'text' };

const SECTIONS: { title: string; fields: Field[] }[] = [
  {
    title: 'Downloading',
    fields: [
      { key: 'download-dir', title: 'Download folder', kind: 'text' },
      {
        key: 'incomplete-dir-enabled',
        title: 'Keep incomplete torrents elsewhere',
        kind: 'boolean',
      },
      { key: 'incomplete-dir', title: 'Incomplete folder', kind: 'text' },
      { key: 'start-added-torrents', title: 'Start added torrents', kind: 'boolean' },
    ],
  },
  {
    title: 'Speed',
    fields: [
      { key: 'speed-limit-down-enabled', title: 'Limit download speed', kind: 'boolean' },
      { key: 'speed-limit-down', title: 'Download limit', kind: 'number', unit: 'KiB/s' },
      { key: 'speed-limit-up-enabled', title: 'Limit upload speed', kind: 'boolean' },
      { key: 'speed-limit-up', title: 'Upload limit', kind: 'number', unit: 'KiB/s' },
      { key: 'alt-speed-enabled', title: 'Alternative speeds on', kind: 'boolean' },
      { key: 'alt-speed-down', title: 'Alternative download limit', kind: 'number', unit: 'KiB/s' },
      { key: 'alt-speed-up', title: 'Alternative upload limit', kind: 'number', unit: 'KiB/s' },
    ],
  },
  {
    title: 'Seeding',
    fields: [
      { key: 'seedRatioLimited', title: 'Stop seeding at ratio', kind: 'boolean' },
      { key: 'seedRatioLimit', title: 'Ratio', kind: 'number', step: '0.1' },
      { key: 'idle-seeding-limit-enabled', title: 'Stop seeding when idle', kind: 'boolean' },
      { key: 'idle-seeding-limit', title: 'Idle minutes', kind: 'number' },
    ],
  },
  {
    title: 'Peers and queues',
    fields: [
      { key: 'peer-port', title: 'Peer port', kind: 'number' },
      { key: 'peer-limit-global', title: 'Peers overall', kind: 'number' },
      { key: 'peer-limit-per-torrent', title: 'Peers per torrent', kind: 'number' },
      { key: 'download-queue-enabled', title: 'Queue downloads', kind: 'boolean' },
      { key: 'download-queue-size', title: 'Active downloads', kind: 'number' },
      { key: 'seed-queue-enabled', title: 'Queue seeding', kind: 'boolean' },
      { key: 'seed-queue-size', title: 'Active seeds', kind: 'number' },
    ],
  },
];

export function SessionDialog({ client, settings, stats, onClose, onSaved }: SessionDialogProps) {
  const [values, setValues] = useState<Record<string, unknown>>(() => ({ ...settings }));
  const [free, setFree] = useState<number | undefined>();
  const [message, setMessage] = useState('');
  const folder = typeof values['download-dir'] === 'string' ? values['download-dir'] : '';
  useEffect(() => {
    client
      .call<{ 'size-bytes': number }>('free-space', { path: folder })
      .then((answer) => setFree(answer['size-bytes']))
      .catch(() => setFree(undefined));
  }, [folder]);
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    const changed: Record<string, unknown> = {};
    for (const section of SECTIONS)
      for (const field of section.fields)
        if (values[field.key] !== settings[field.key] && values[field.key] !== undefined)
          changed[field.key] = values[field.key];
    try {
      if (Object.keys(changed).length > 0) await client.call('session-set', changed);
      onSaved();
      onClose();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <Dialog title="Settings" onClose={onClose} class="session-dialog">
      <form onSubmit={(event) => void save(event)}>
        {SECTIONS.map((section) => (
          <fieldset key={section.title}>
            <legend>{section.title}</legend>
            {section.fields.map((field) => (
              <SettingField
                key={field.key}
                field={field}
                value={values[field.key]}
                onChange={(value) => setValues({ ...values, [field.key]: value })}
              />
            ))}
            {section.title === 'Downloading' && (
              <p class="hint">
                Free space in the download folder:{' '}
                {free === undefined ? 'unknown' : formatBytes(free)}
              </p>
            )}
          </fieldset>
        ))}
        {stats && <Stats stats={stats} />}
        {message && (
          <p role="alert" class="problems">
            {message}
          </p>
        )}
        <div class="button-row">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SettingField({
  field,
  value,
  onChange,
}: {
  field: Field;
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  if (value === undefined) return null;
  switch (field.kind) {
    case 'boolean':
      return (
        <label class="inline">
          <input
            type="checkbox"
            name={field.key}
            checked={value === true}
            onChange={(event) => onChange(event.currentTarget.checked)}
          />
          {field.title}
        </label>
      );
    case 'number':
      return (
        <label>
          {field.title}
          {field.unit ? ` (${field.unit})` : ''}
          <input
            type="number"
            name={field.key}
            min="0"
            step={field.step ?? '1'}
            value={typeof value === 'number' ? String(value) : ''}
            onInput={(event) => onChange(Number(event.currentTarget.value))}
          />
        </label>
      );
    case 'text':
      return (
        <label>
          {field.title}
          <input
            name={field.key}
            value={typeof value === 'string' ? value : ''}
            onInput={(event) => onChange(event.currentTarget.value)}
          />
        </label>
      );
  }
}

function Stats({ stats }: { stats: SessionStats }) {
  const row = (title: string, value: CumulativeStats) => (
    <tr>
      <th scope="row">{title}</th>
      <td>{formatBytes(value.downloadedBytes)}</td>
      <td>{formatBytes(value.uploadedBytes)}</td>
      <td>
        {formatRatio(value.downloadedBytes > 0 ? value.uploadedBytes / value.downloadedBytes : -1)}
      </td>
      <td>{value.filesAdded}</td>
      <td>{formatEta(value.secondsActive)}</td>
    </tr>
  );
  return (
    <table class="table stats">
      <caption>Statistics</caption>
      <thead>
        <tr>
          <td />
          <th scope="col">Downloaded</th>
          <th scope="col">Uploaded</th>
          <th scope="col">Ratio</th>
          <th scope="col">Added</th>
          <th scope="col">Active</th>
        </tr>
      </thead>
      <tbody>
        {row('This session', stats['current-stats'])}
        {row(
          `Total (${stats['cumulative-stats'].sessionCount} sessions)`,
          stats['cumulative-stats'],
        )}
      </tbody>
    </table>
  );
}
