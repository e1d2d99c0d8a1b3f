/** Operating-system errors in words, so no command prints `ENOENT: ENOENT: ...`. */

const WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file size limit (ulimit -f)',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EIO: 'input/output error',
};

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create',
  scandir: 'list',
  stat: 'find',
  lstat: 'find',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  listen: 'listen on',
  connect: 'connect to',
  getaddrinfo: 'look up',
};

interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function isSystemError(error: unknown): error is SystemError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    /^E[A-Z_]+$/.test((error as unknown as { code: string }).code) &&
    typeof (error as { syscall?: unknown }).syscall === 'string'
  );
}

/** The words for a system error code (`ENOENT` -> `no such file or folder`). */
export function systemErrorWords(code: string): string {
  return WORDS[code] ?? code;
}

/** `cannot open x.torrent: no such file or folder`, or undefined when `error` is not a system error. */
export function describeSystemError(error: unknown): string | undefined {
  if (!isSystemError(error)) return undefined;
  const words = systemErrorWords(error.code);
  const target =
    error.path ??
    error.hostname ??
    (error.address === undefined
      ? undefined
      : error.port === undefined
        ? error.address
        : `${error.address}:${error.port}`);
  if (target === undefined) return words;
  return `cannot ${VERBS[error.syscall ?? ''] ?? error.syscall} ${target}: ${words}`;
}
