// Builds the web page (apps/web) when its output is missing or older than its sources, so that
// `npm install && npm start` serves a current page without a separate build step.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const web = join(import.meta.dirname, '..', 'apps', 'web');
const built = join(web, 'dist', 'index.html');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const sources = ['src', 'index.html', 'vite.config.mts'].map((p) => join(web, p));
if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources.map(newest))) {
  console.log('building the web page (apps/web) …');
  execFileSync('npx', ['vite', 'build', '--config', join(web, 'vite.config.mts'), '--logLevel', 'warn'], {
    stdio: 'inherit',
  });
}
