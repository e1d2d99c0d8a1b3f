/**
 * btd's web UI as files: `webUiRoot` is the folder holding `index.html` and its assets (built
 * by `build.mjs`), which btd serves at `/`.
 */
import { fileURLToPath } from 'node:url';

/** The built page's folder (`dist/app/` of this package). */
export const webUiRoot: string = fileURLToPath(new URL('../dist/app/', import.meta.url));
