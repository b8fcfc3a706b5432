import { describe, expect, it } from 'vitest';
import type { EntityInfo } from '../../core/index.js';
import { agentTag, agentTags, renderStatus } from './status-view.js';
import { STATUS_FIXTURE, STATUS_FIXTURE_BODY } from './testdata/status-fixture.js';

const M = '0b7e2c1a-4d5e-4f60-8a9b-1c2d3e4f5a6b';
const entities: EntityInfo[] = STATUS_FIXTURE.map((e) => ({ ...e, modelUUID: M }));

describe('renderStatus', () => {
  it('matches the golden text: grouped by kind, natural unit order, agents lost when dead', () => {
    const dead = new Map(agentTags(entities).map((t) => [t, false]));
    const text = renderStatus({ modelName: 'default', controller: 'http://127.0.0.1:17070', revision: 12, entities, presence: dead });
    expect(text).toBe(`Model    Controller              Revision  Entities
default  http://127.0.0.1:17070  12        9

${STATUS_FIXTURE_BODY}`);
  });

  it('shows live agents as alive and unknown ones as "-"', () => {
    const presence = new Map([[agentTag('unit', 'mysql/0'), true]]);
    const text = renderStatus({ modelName: 'm', controller: 'c', revision: 1, entities, presence });
    expect(text).toMatch(/^mysql\/0 +active +alive /m);
    expect(text).toMatch(/^mysql\/10 +maintenance +- /m);
  });

  it('an empty model shows only its header', () => {
    expect(renderStatus({ modelName: 'm', controller: 'c', revision: 0, entities: [], presence: new Map() }))
      .toBe('Model  Controller  Revision  Entities\nm      c           0         0\n');
  });

  it('maps ids to agent tags as Juju does', () => {
    expect(agentTag('unit', 'my-app/12')).toBe('unit-my-app-12');
    expect(agentTag('machine', '0/lxd/1')).toBe('machine-0-lxd-1');
  });
});
