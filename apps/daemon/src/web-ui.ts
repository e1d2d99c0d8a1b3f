/**
 * Where btd's own web UI is (served at `/`): `BTD_WEB_UI` names a folder (empty: no UI, `/`
 * goes to Transmission's web client as before), else the page built by `@bt/web`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { webUiRoot } from '@bt/web';

export function findWebUi(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.BTD_WEB_UI;
  if (chosen !== undefined) return chosen === '' ? undefined : resolve(chosen);
  return existsSync(join(webUiRoot, 'index.html')) ? webUiRoot : undefined;
}
