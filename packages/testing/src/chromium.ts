// Debian's Chromium for the browser tests (the Portal, /docs). CI machines start without it, so the
// first test that needs it installs it (as root, from Debian's packages). Call it from a hook with a
// timeout that allows for the download (several minutes on a cold machine), never inside a test.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  execSync('apt-get update && apt-get install -y chromium', { stdio: 'inherit', timeout: 540_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is still missing after apt-get install chromium`);
}
