import { DeliveryService } from './delivery.service';
import type { DeliveryTarget } from './delivery.types';
import { describeTarget, validateTarget } from './delivery-targets';
import { sampleContext } from './delivery-test-helpers';

describe('validateTarget', () => {
  it.each([
    [{ type: 'folder', path: '/srv/reports' }],
    [{ type: 'email', to: ['board@example.org', 'a.b+c@mail.example.co.uk'] }],
    [{ type: 'email', to: ['ops@localhost'], subject: 'Usage' }],
    [{ type: 'webhook', url: 'https://hooks.example.org/in?token=abc' }],
    [{ type: 'webhook', url: 'http://10.0.0.5:8080/in', secret: 's3cret' }],
  ])('accepts %j', (target) => {
    expect(validateTarget(target)).toBeNull();
  });

  it.each([
    ['not an object', 'folder', 'targets[0].type must be folder, email or webhook'],
    ['no type', { path: '/srv' }, 'targets[0].type must be folder, email or webhook'],
    ['unknown type', { type: 'ftp', url: 'ftp://x' }, 'targets[0].type must be folder, email or webhook'],
    ['unknown field', { type: 'folder', path: '/srv', mode: 1 }, 'targets[0].mode is not a field of a folder target'],
    ['relative path', { type: 'folder', path: 'reports/out' }, 'targets[0].path must be an absolute folder path'],
    ['no path', { type: 'folder' }, 'targets[0].path must be an absolute folder path'],
    ['no recipients', { type: 'email', to: [] }, 'targets[0].to must be a list of 1 to 50 email addresses'],
    ['recipients not a list', { type: 'email', to: 'a@example.org' }, 'targets[0].to must be a list'],
    ['a bad address', { type: 'email', to: ['a@example.org', 'not-an-address'] }, 'targets[0].to[1] must be an email'],
    ['an address with a name', { type: 'email', to: ['Board <b@example.org>'] }, 'targets[0].to[0] must be an email'],
    ['empty subject', { type: 'email', to: ['a@example.org'], subject: ' ' }, 'targets[0].subject must be text'],
    ['two-line subject', { type: 'email', to: ['a@x.org'], subject: 'a\r\nBcc: b@x.org' }, 'targets[0].subject must'],
    ['ftp URL', { type: 'webhook', url: 'ftp://example.org/in' }, 'targets[0].url must be an http or https URL'],
    ['no URL', { type: 'webhook' }, 'targets[0].url must be an http or https URL'],
    ['not a URL', { type: 'webhook', url: 'hooks.example.org/in' }, 'targets[0].url must be an http or https URL'],
    ['empty secret', { type: 'webhook', url: 'https://x.org', secret: '' }, 'targets[0].secret must be text'],
    ['URL credentials', { type: 'webhook', url: 'https://u:p@x.org/in' }, 'targets[0].url must not carry credentials'],
    ['URL user only', { type: 'webhook', url: 'https://u@x.org/in' }, 'targets[0].url must not carry credentials'],
  ])('names the field: %s', (_case, target, message) => {
    expect(validateTarget(target)).toContain(message);
  });

  it('names the target by its index', () => {
    expect(validateTarget({ type: 'webhook', url: 'nope' }, 3)).toBe('targets[3].url must be an http or https URL');
  });
});

describe('describeTarget', () => {
  it('names a webhook by its URL without credentials, query string or fragment', () => {
    expect(describeTarget({ type: 'webhook', url: 'https://user:pw@hooks.example.org:8443/in?token=abc#x' })).toBe(
      'webhook https://hooks.example.org:8443/in',
    );
  });

  it('names at most three recipients', () => {
    expect(describeTarget({ type: 'email', to: ['a@x.org', 'b@x.org', 'c@x.org', 'd@x.org', 'e@x.org'] })).toBe(
      'email to a@x.org, b@x.org, c@x.org and 2 more',
    );
    expect(describeTarget({ type: 'folder', path: '/srv/out' })).toBe('folder /srv/out');
  });
});

describe('DeliveryService.deliver with an invalid target', () => {
  it("returns a failed result naming the field, without the target's values and without trying", async () => {
    const target = { type: 'webhook', url: 'ftp://user:pw@example.org/?token=abcdef' } as unknown as DeliveryTarget;
    const file = { path: '/nonexistent', fileName: 'x.csv', contentType: 'text/csv', bytes: 1, sha256: '', rows: 0 };

    const result = await new DeliveryService().deliver(target, file, sampleContext);

    expect(result).toEqual({
      target: 'webhook target',
      ok: false,
      attempts: 0,
      error: 'target.url must be an http or https URL',
    });
  });
});
