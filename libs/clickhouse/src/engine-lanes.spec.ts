import { EngineLanes, laneOfTag, lanesHealth } from './engine-lanes';

/** A call that runs until released, recording when it started. */
function gate(order: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    call: async () => {
      order.push(name);
      await done;
    },
    release,
  };
}

describe('EngineLanes', () => {
  it('runs one call at a time and, when the engine frees, the waiting call of the highest lane first', async () => {
    const lanes = new EngineLanes();
    const order: string[] = [];
    const first = gate(order, 'adhoc-1');
    const running = lanes.run('adhoc', 'sql:run', first.call);
    const waiting = [
      lanes.run('adhoc', 'sql:run', async () => void order.push('adhoc-2')),
      lanes.run('export', 'export:page', async () => void order.push('export')),
      lanes.run('background', 'rollups:build', async () => void order.push('background')),
      lanes.run('interactive', 'reports:usage', async () => void order.push('report')),
      lanes.run('ingest', 'writer:insert', async () => void order.push('ingest')),
    ];
    expect(lanes.state().running).toMatchObject({ lane: 'adhoc', tag: 'sql:run' });
    expect(lanes.state().waiting.interactive.calls).toBe(1);
    first.release();
    await Promise.all([running, ...waiting]);
    expect(order).toEqual(['adhoc-1', 'ingest', 'report', 'export', 'background', 'adhoc-2']);
  });

  it('lets a call that waited 10 s go next whatever its lane, so no lane starves', async () => {
    let now = 0;
    const lanes = new EngineLanes(() => now);
    const order: string[] = [];
    const first = gate(order, 'report-1');
    const running = lanes.run('interactive', 'reports:a', first.call);
    const adhoc = lanes.run('adhoc', 'sql:run', async () => void order.push('adhoc'));
    now = 10_000;
    const report = lanes.run('interactive', 'reports:b', async () => void order.push('report-2'));
    expect(lanes.waitedMs('adhoc')).toBe(10_000);
    first.release();
    await Promise.all([running, adhoc, report]);
    expect(order).toEqual(['report-1', 'adhoc', 'report-2']);
  });

  it('frees the engine when a call fails', async () => {
    const lanes = new EngineLanes();
    await expect(lanes.run('adhoc', 'sql:run', async () => Promise.reject(new Error('limit')))).rejects.toThrow(
      'limit',
    );
    await expect(lanes.run('ingest', 'writer:insert', async () => 'stored')).resolves.toBe('stored');
    expect(lanes.state().running).toBeNull();
  });

  it('puts a call in a lane by its tag', () => {
    expect(laneOfTag('writer:insert')).toBe('ingest');
    expect(laneOfTag('kafka:offsets')).toBe('ingest');
    expect(laneOfTag('rollups:build-daily')).toBe('background');
    expect(laneOfTag('rollups:read')).toBe('interactive');
    expect(laneOfTag('sql:run')).toBe('adhoc');
    expect(laneOfTag('reports:campaign')).toBe('interactive');
    expect(laneOfTag('auth')).toBe('interactive');
  });

  it('reads as readiness: a backlog of ad hoc work is saturated but ready, a report waiting 10 s is not ready', async () => {
    let now = 0;
    const lanes = new EngineLanes(() => now);
    const first = gate([], 'sql');
    const running = lanes.run('adhoc', 'sql:run', first.call);
    const queued = lanes.run('adhoc', 'sql:run', async () => undefined);
    now = 3_000;
    expect(lanesHealth(lanes.state())).toMatchObject({
      ok: true,
      saturated: ['adhoc'],
      running: { lane: 'adhoc', tag: 'sql:run', ms: 3_000 },
      waiting: { adhoc: { calls: 1, oldest_ms: 3_000 }, interactive: { calls: 0, oldest_ms: 0 } },
    });
    const report = lanes.run('interactive', 'reports:usage', async () => undefined);
    now = 13_000;
    expect(lanesHealth(lanes.state())).toMatchObject({ ok: false, saturated: ['interactive', 'adhoc'] });
    first.release();
    await Promise.all([running, queued, report]);
    expect(lanesHealth(lanes.state())).toMatchObject({ ok: true, saturated: [], running: null });
  });
});
