import request from 'supertest';
import { startTestWarehouse, type TestWarehouse } from './warehouse-app';

/** A small seeded random generator: the same seed, the same data set, every run. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/**
 * A warehouse for one test file with `events` sent through POST /v1/events
 * (all accepted) before the tests run; closed after them.
 */
export function loadedWarehouse(events: readonly object[]): { readonly wh: TestWarehouse } {
  const holder = {} as { wh: TestWarehouse };
  beforeAll(async () => {
    holder.wh = await startTestWarehouse();
    const res = await request(holder.wh.app.getHttpServer()).post('/v1/events').send(events);
    expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
  }, 60_000);
  afterAll(async () => holder.wh?.close());
  return holder;
}
