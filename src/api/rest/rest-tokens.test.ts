// REST bearer tokens at the edge: bad tokens keep their exact 401 answers now that tokens live in
// the user store, and removing a model revokes its agents' tokens at once.
import { describe, expect, it } from 'vitest';
import { M1, RestFixture, basic } from './testdata/rest-fixture.js';

const { f, t } = RestFixture.sharedByFile();

/** A bearer header for an agent of a model, from POST /v1/login?model=. */
async function agentBearer(modelUUID: string, tag: string, password: string): Promise<string> {
  const r = await f.request('POST', `/v1/login?model=${modelUUID}`, { auth: basic(tag, password) });
  expect(r.status).toBe(200);
  return `Bearer ${String(r.json.token)}`;
}

describe('REST bearer tokens', () => {
  it('a malformed, unknown or empty bearer token is 401 "invalid or expired token" with the Basic challenge', async () => {
    const unknownButWellFormed = `Bearer ${'A'.repeat(43)}`;
    for (const auth of ['Bearer', 'Bearer ', 'Bearer not-a-token', 'Bearer a b', `Bearer ${'é'.repeat(43)}`, unknownButWellFormed, 'bearer  x']) {
      const r = await f.request('GET', '/v1/models', { headers: { authorization: auth } });
      expect([auth, r.status, r.json]).toEqual([auth, 401, { error: 'invalid or expired token', code: 'Unauthorized' }]);
      expect(r.headers['www-authenticate']).toBe('Basic realm="modelwatch"');
    }
    const tooLong = await f.request('GET', '/v1/models', { headers: { authorization: `Bearer ${'A'.repeat(5000)}` } });
    expect([tooLong.status, tooLong.json]).toEqual([401, { error: 'invalid entity name or password', code: 'Unauthorized' }]);
    expect((await f.request('GET', '/v1/models', { auth: t.bob })).status).toBe(200); // a real one still works
  });

  it('removing a model revokes its agents\' tokens at once; other models\' agents and users keep theirs', async () => {
    const uuid = (await f.request('POST', '/v1/models', { auth: t.bob, body: { name: 'doomed-agents' } })).json.uuid as string;
    await f.request('PUT', `/v1/models/${uuid}/agents/machine-0/password`, { auth: t.bob, body: { password: 'p-doomed' } });
    await f.request('PUT', `/v1/models/${M1}/agents/machine-0/password`, { auth: t.admin, body: { password: 'p-m1' } });
    const doomed = await agentBearer(uuid, 'machine-0', 'p-doomed');
    const survivor = await agentBearer(M1, 'machine-0', 'p-m1');
    expect((await f.request('GET', '/v1/models', { auth: doomed })).status).toBe(200);
    expect((await f.request('DELETE', `/v1/models/${uuid}`, { auth: t.bob })).status).toBe(200);
    const after = await f.request('GET', '/v1/models', { auth: doomed });
    expect([after.status, after.json]).toEqual([401, { error: 'invalid or expired token', code: 'Unauthorized' }]);
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: survivor })).status).toBe(200);
    expect((await f.request('GET', '/v1/models', { auth: t.bob })).status).toBe(200);
  });
});
