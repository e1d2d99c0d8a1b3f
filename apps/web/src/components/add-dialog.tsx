/**
 * Adding torrents: .torrent files (picked, or dropped anywhere on the page), a URL or a magnet
 * link (typed, or pasted anywhere on the page), into a folder (with its free space shown), with
 * labels, started or paused.
 */
import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../format.js';
import type { RpcClient } from '../rpc-client.js';
import { Dialog } from './dialog.js';

export interface AddDialogProps {
  client: RpcClient;
  defaultFolder: string;
  /** Files dropped on the page, or a link pasted on it, that opened the dialog. */
  initialFiles?: readonly File[];
  initialLink?: string;
  onClose: () => void;
  /** Told the ids added (new or duplicates), to select them and refresh the list. */
  onAdded: (ids: number[]) => void;
}

interface AddAnswer {
  'torrent-added'?: { id: number; name: string; hashString: string };
  'torrent-duplicate'?: { id: number; name: string; hashString: string };
}

/** A file's bytes as base64, for torrent-add's `metainfo`. */
export async function fileToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  return btoa(binary);
}

export function AddDialog(props: AddDialogProps) {
  const { client } = props;
  const [files, setFiles] = useState<readonly File[]>(props.initialFiles ?? []);
  const [link, setLink] = useState(props.initialLink ?? '');
  const [folder, setFolder] = useState(props.defaultFolder);
  const [labels, setLabels] = useState('');
  const [paused, setPaused] = useState(false);
  const [free, setFree] = useState<number | undefined>();
  const [busy, setBusy] = useState(false);
  const [messages, setMessages] = useState<string[]>([]);

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      client
        .call<{ 'size-bytes': number }>('free-space', { path: folder })
        .then((answer) => !cancelled && setFree(answer['size-bytes']))
        .catch(() => !cancelled && setFree(undefined));
    }, 300);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [folder]);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    const common: Record<string, unknown> = { paused, 'download-dir': folder };
    const labelList = labels
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean);
    if (labelList.length > 0) common.labels = labelList;
    const ids: number[] = [];
    const problems: string[] = [];
    const add = async (what: string, args: Record<string, unknown>): Promise<void> => {
      try {
        const answer = await client.call<AddAnswer>('torrent-add', { ...common, ...args });
        const added = answer['torrent-added'] ?? answer['torrent-duplicate'];
        if (added) ids.push(added.id);
        if (answer['torrent-duplicate']) problems.push(`${what}: already there`);
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    for (const file of files) await add(file.name, { metainfo: await fileToBase64(file) });
    for (const line of link.split(/\s+/).filter(Boolean))
      await add(line.slice(0, 60), { filename: line });
    setBusy(false);
    if (ids.length > 0) props.onAdded(ids);
    if (problems.length === 0) props.onClose();
    else setMessages(problems);
  };

  const nothing = files.length === 0 && link.trim() === '';
  return (
    <Dialog title="Add torrents" onClose={props.onClose} class="add-dialog">
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Torrent files
          <input
            type="file"
            name="torrent-files"
            accept=".torrent,application/x-bittorrent"
            multiple
            onChange={(event) => setFiles([...(event.currentTarget.files ?? [])])}
          />
        </label>
        {files.length > 0 && (
          <ul class="chosen">
            {files.map((file) => (
              <li key={file.name}>
                {file.name} ({formatBytes(file.size)})
              </li>
            ))}
          </ul>
        )}
        <label>
          Or a URL or magnet link (one per line)
          <textarea
            name="link"
            rows={2}
            value={link}
            onInput={(event) => setLink(event.currentTarget.value)}
          />
        </label>
        <label>
          Download folder
          <input
            name="folder"
            value={folder}
            onInput={(event) => setFolder(event.currentTarget.value)}
          />
        </label>
        <p class="hint" aria-live="polite">
          {free === undefined ? 'Free space: unknown' : `Free space: ${formatBytes(free)}`}
        </p>
        <label>
          Labels (comma separated)
          <input
            name="labels"
            value={labels}
            onInput={(event) => setLabels(event.currentTarget.value)}
          />
        </label>
        <label class="inline">
          <input
            type="checkbox"
            name="paused"
            checked={paused}
            onChange={(event) => setPaused(event.currentTarget.checked)}
          />
          Start paused
        </label>
        {messages.length > 0 && (
          <ul class="problems" role="alert">
            {messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        )}
        <div class="button-row">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || nothing}>
            {busy ? 'Adding…' : 'Add'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
