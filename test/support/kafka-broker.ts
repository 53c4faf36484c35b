import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts', 'kafka.sh');

export interface KafkaBroker {
  /** Run name: the broker's state lives in .kafka/run/<name>. */
  readonly name: string;
  /** Bootstrap address for clients, `127.0.0.1:<port>`; the same after restart(). */
  readonly brokers: string;
  /** SIGTERM (SIGKILL after 30 s), then removes the run dir and its data. */
  stop(): Promise<void>;
  /** Clean stop and start on the same port and log dir: topics, messages and offsets survive. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash; restart() brings it back with the data (about 5 s more than a clean restart). */
  kill(): void;
}

export interface KafkaBrokerOptions {
  /** Wipe the run dir of `name` first (default true): a new cluster on new ports. */
  fresh?: boolean;
  /** The broker is stopped when this process exits (default: this process). */
  ownerPid?: number;
}

let counter = 0;

/**
 * A real single-node Kafka (KRaft) from scripts/kafka.sh, ready to serve when the
 * promise resolves. The first run on a machine resolves the jars from Maven
 * (minutes on an empty ~/.m2); a start after that takes about 5 s. Stop it in afterAll.
 */
export async function startKafkaBroker(
  name = `test-${process.pid}-${++counter}`,
  options: KafkaBrokerOptions = {},
): Promise<KafkaBroker> {
  const args = ['start', '--name', name, '--owner-pid', String(options.ownerPid ?? process.pid)];
  if (options.fresh ?? true) args.push('--fresh');
  let brokers = parseBrokers(await runKafkaScript(args, 15 * 60_000));
  return {
    name,
    get brokers() {
      return brokers;
    },
    async stop() {
      await runKafkaScript(['stop', '--name', name], 60_000);
    },
    async restart() {
      brokers = parseBrokers(await runKafkaScript(['restart', '--name', name], 3 * 60_000));
    },
    kill() {
      const pid = brokerPid(name);
      if (pid === undefined) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    },
  };
}

/** Runs `bash scripts/kafka.sh ...args`, its progress lines going to stderr; resolves with its stdout. */
export function runKafkaScript(args: string[], timeoutMs = 15 * 60_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'bash',
      [SCRIPT, ...args],
      { cwd: ROOT, env: process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        if (error) reject(new Error(`scripts/kafka.sh ${args.join(' ')} failed: ${error.message}`));
        else resolvePromise(stdout);
      },
    );
    child.stderr?.on('data', (chunk: Buffer | string) => process.stderr.write(chunk));
  });
}

function parseBrokers(stdout: string): string {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('KAFKA_BROKERS='))
    .pop();
  if (!line) throw new Error(`scripts/kafka.sh printed no KAFKA_BROKERS= line:\n${stdout}`);
  return line.slice('KAFKA_BROKERS='.length);
}

function brokerPid(name: string): number | undefined {
  const dir = resolve(ROOT, process.env.KAFKA_DIR ?? '.kafka');
  try {
    const pid = Number(readFileSync(join(dir, 'run', name, 'broker.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
