import 'reflect-metadata';

/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each lives in its
 * own `bench/<name>.bench.ts` exporting `run(args)`, so new ones are one file
 * and one line here.
 */
const BENCHES: Record<string, () => Promise<{ run: (args: string[]) => Promise<void> }>> = {
  ingest: () => import('./ingest.bench'),
  reports: () => import('./reports.bench'),
  kafka: () => import('./kafka.bench'),
  exports: () => import('./exports.bench'),
  sql: () => import('./sql.bench'),
  contention: () => import('./contention.bench'),
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name ? BENCHES[name] : undefined;
  if (!load) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
    process.exit(2);
  }
  const bench = await load();
  await bench.run(args);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
