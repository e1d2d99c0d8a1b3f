// Test helper: keeps `bt download` and `bt seed` on loopback.
/**
 * `download` and `seed` multicast local discovery announces on the host's network unless told
 * not to: tests stay on loopback, so they get `--no-lpd` unless they ask otherwise.
 */
export function withoutLocalDiscovery(argv: readonly string[]): string[] {
  if (argv[0] !== 'download' && argv[0] !== 'seed') return [...argv];
  return argv.includes('--no-lpd') ? [...argv] : [argv[0], '--no-lpd', ...argv.slice(1)];
}
