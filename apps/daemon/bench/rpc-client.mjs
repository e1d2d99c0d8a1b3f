// The benches' RPC client for btd and transmission-daemon (one copy for both benches).
/** A minimal RPC client: the session-id exchange, one JSON answer per call. */
export function rpcClient(port) {
  let sessionId = '';
  return async function call(method, args = {}) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(`http://127.0.0.1:${port}/transmission/rpc`, {
        method: 'POST',
        headers: { 'X-Transmission-Session-Id': sessionId },
        body: JSON.stringify({ method, arguments: args }),
        signal: AbortSignal.timeout(60_000),
      });
      if (response.status === 409) {
        sessionId = response.headers.get('X-Transmission-Session-Id') ?? '';
        continue;
      }
      const body = await response.json();
      if (body.result !== 'success') throw new Error(`${method}: ${body.result}`);
      return body.arguments;
    }
    throw new Error(`${method}: no session id`);
  };
}
