import { startTestWarehouse, type TestWarehouse } from './support/warehouse-app';

/** Guessing keys gets an address shut out for a while, good key or not. */
let wh: TestWarehouse;

beforeAll(async () => {
  wh = await startTestWarehouse({ AUTH_MAX_FAILURES_PER_MINUTE: '5' });
}, 120_000);
afterAll(async () => wh?.close());

it('answers 429 with Retry-After once an address presented AUTH_MAX_FAILURES_PER_MINUTE bad keys, and counts it', async () => {
  // Requests without a key are refused but are no guesses: they do not count.
  for (let i = 0; i < 10; i++) expect((await wh.anonymous().get('/v1/auth/me')).status).toBe(401);
  for (let i = 0; i < 5; i++) {
    const res = await wh.http(`th_0000000${i}_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`).get('/v1/auth/me');
    expect(res.status).toBe(401);
  }
  const limited = await wh.anonymous().get('/v1/auth/me');
  expect(limited.status).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(limited.body).toEqual({ statusCode: 429, message: expect.stringMatching(/too many failed authentications/) });
  // Even the right key waits: a guesser learns nothing more from this address.
  expect((await wh.http().get('/v1/auth/me')).status).toBe(429);
  // Routes outside /v1 stay open.
  const metrics = await wh.anonymous().get('/metrics').expect(200);
  expect(metrics.text).toMatch(/tallyhouse_auth_failures_total\{reason="unknown"\} 5/);
  expect(metrics.text).toMatch(/tallyhouse_auth_failures_total\{reason="limited"\} 2/);
});
