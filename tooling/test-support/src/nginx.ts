/**
 * nginx (Debian `nginx-light`: a web server nobody here wrote) serving a folder on loopback, for
 * web-seed tests: Range requests, keep-alive, sendfile. Its own config and prefix folder, in the
 * foreground, stopped by its process group like every test program. As root the workers run as
 * root too, so they can read the test's private temp folders.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type RunningProcess, startProcess, waitForPort } from './processes.js';
import { makeTempDir } from './temp.js';

export interface StartNginxOptions {
  /** The nginx binary (from `requireProgram('nginx', 'nginx-light')`). */
  program: string;
  /** The folder served at `/`. */
  root: string;
  /** Extra lines inside the `server` block (locations that misbehave, say). */
  serverConfig?: string;
  port?: number;
  /** Log each request to `accessLog` (off by default). */
  accessLog?: boolean;
}

export interface Nginx {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  process: RunningProcess;
  /** The access log's path (written only with `accessLog: true`). */
  accessLog: string;
}

export async function startNginx(options: StartNginxOptions): Promise<Nginx> {
  const prefix = await makeTempDir('bt-nginx-');
  const port = options.port ?? (await freePort());
  const asRoot = process.getuid?.() === 0;
  const config = `${asRoot ? 'user root;\n' : ''}worker_processes 1;
error_log ${join(prefix, 'error.log')} warn;
pid ${join(prefix, 'nginx.pid')};
events { worker_connections 256; }
http {
  ${options.accessLog ? `log_format bt '$status $request_method $uri $http_range'; access_log ${join(prefix, 'access.log')} bt;` : 'access_log off;'}
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${options.root};
${options.serverConfig ?? ''}
  }
}
`;
  const file = join(prefix, 'nginx.conf');
  await writeFile(file, config);
  const server = startProcess(options.program, ['-p', prefix, '-c', file, '-g', 'daemon off;'], {
    label: 'nginx',
  });
  await Promise.race([
    waitForPort(port, '127.0.0.1'),
    server.exited.then((code) => {
      throw new Error(`nginx exited with ${code}: ${server.output()}`);
    }),
  ]);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    process: server,
    accessLog: join(prefix, 'access.log'),
  };
}
