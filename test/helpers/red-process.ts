/**
 * A real Node-RED in a child process with this package loaded (the demo's user directory) and admin
 * authentication on: users with their own permissions, logins through /auth/token, admin requests with a
 * bearer token. For tests of who may call which admin endpoint, which node-red-node-test-helper cannot do
 * (its admin app has no authentication).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeUserDir } from '../../bin/demo';
import { freeTcpPort, waitFor } from './ports';

export interface RedUser {
  username: string;
  password: string;
  /** Node-RED permissions: '*', 'read', or a list such as ['read', 'snmp-endpoint.write'] */
  permissions: string | string[];
}

export interface RedProcess {
  baseUrl: string;
  /** every line Node-RED printed */
  log: string[];
  /** an access token for a user, with the scope asked for (defaults to the user's permissions) */
  login(user: RedUser): Promise<string>;
  request(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export async function startRedProcess(users: RedUser[], flows: object[]): Promise<RedProcess> {
  const port = await freeTcpPort();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcpower-auth-'));
  const settingsFile = writeUserDir({ port, userDir, flows: flows as Parameters<typeof writeUserDir>[0]['flows'] });
  // Plain-text passwords checked by a function (settings.js may hold code): no bcrypt hashes to make.
  const table = JSON.stringify(Object.fromEntries(users.map((u) => [u.username, u])));
  fs.appendFileSync(
    settingsFile,
    `const USERS = ${table};
module.exports.adminAuth = {
  type: 'credentials',
  users: (username) => Promise.resolve(USERS[username] ? { username, permissions: USERS[username].permissions } : null),
  authenticate: (username, password) =>
    Promise.resolve(USERS[username] && USERS[username].password === password ? { username, permissions: USERS[username].permissions } : null),
};
`,
  );
  const log: string[] = [];
  const red: ChildProcess = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settingsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer): void => {
    log.push(...chunk.toString().split('\n').filter((l) => l.trim().length > 0));
  };
  red.stdout?.on('data', collect);
  red.stderr?.on('data', collect);
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (red.exitCode === null) {
      const exited = new Promise((r) => red.once('exit', r));
      red.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (red.exitCode === null) red.kill('SIGKILL');
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  const request = async (method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const headers: Record<string, string> = { 'Node-RED-API-Version': 'v1' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(baseUrl + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed };
  };
  try {
    await waitFor(() => log.some((l) => l.includes('Started flows')), 60_000, 'Node-RED to start flows');
  } catch (err) {
    const tail = log.slice(-20).join('\n');
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nNode-RED log:\n${tail}`);
  }
  return {
    baseUrl,
    log,
    async login(user) {
      const form = new URLSearchParams({
        client_id: 'node-red-admin',
        grant_type: 'password',
        scope: Array.isArray(user.permissions) ? user.permissions.join(' ') : user.permissions,
        username: user.username,
        password: user.password,
      });
      const res = await fetch(baseUrl + '/auth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`login of ${user.username} failed: ${res.status}`);
      return body.access_token;
    },
    request,
    stop,
  };
}
