/**
 * Where btd finds a web client when neither `--web-root` nor `TRANSMISSION_WEB_HOME` names
 * one, as transmission-daemon looks: `transmission/web` (3.x) or `transmission/public_html`
 * (4.x) under `$XDG_DATA_HOME` (default `~/.local/share`), then each of `$XDG_DATA_DIRS`
 * (default `/usr/local/share:/usr/share`). Debian's `transmission-common` puts it in
 * `/usr/share/transmission/web`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function findWebRoot(env: NodeJS.ProcessEnv): string | undefined {
  const dataHome = env.XDG_DATA_HOME || join(env.HOME ?? homedir(), '.local', 'share');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share')
    .split(':')
    .filter((folder) => folder.length > 0);
  for (const base of [dataHome, ...dataDirs])
    for (const name of ['web', 'public_html']) {
      const folder = join(base, 'transmission', name);
      if (existsSync(join(folder, 'index.html'))) return folder;
    }
  return undefined;
}
