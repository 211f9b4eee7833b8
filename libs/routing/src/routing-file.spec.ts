import { parseRoutingFile, type RoutingFileConfig } from './routing-file';

const EXAMPLE = {
  tenants: {
    radiology: {
      destinations: [
        { id: 'archive', kind: 'dimse', aeTitle: 'STORESCP', host: 'storescp', port: 11112 },
        {
          id: 'orthanc',
          kind: 'dicomweb',
          stowUrl: 'http://orthanc:8042/dicom-web/studies',
          headers: { Authorization: 'Basic b3J0aGFuYzpvcnRoYW5j' },
          maxConcurrency: 2,
        },
      ],
      rules: [
        {
          id: 'ct-to-archive',
          trigger: 'instance',
          condition: { attribute: 'Modality', equals: 'CT' },
          destinations: ['archive'],
        },
        {
          id: 'stable-to-orthanc',
          trigger: 'study-stable',
          priority: 5,
          condition: { not: { source: { callingAeTitle: { wildcard: 'TEST*' } } } },
          destinations: ['orthanc'],
          modify: { set: { InstitutionName: 'Radiology' } },
        },
      ],
    },
    cardiology: {},
  },
};

function config(document: unknown): RoutingFileConfig {
  const result = parseRoutingFile(JSON.stringify(document), 'routing.json');
  if (!result.ok) throw result.error;
  return result.value;
}

function problemsOf(text: string): readonly string[] {
  const result = parseRoutingFile(text, 'routing.json');
  if (result.ok) throw new Error('expected a refusal');
  return result.error.problems;
}

describe('parseRoutingFile', () => {
  it('reads each tenant validated, lists defaulting to empty', () => {
    const tenants = config(EXAMPLE);
    expect([...tenants.keys()]).toEqual(['radiology', 'cardiology']);
    const radiology = tenants.get('radiology')!;
    expect(radiology.destinations.map((d) => [d.id, d.kind, d.maxConcurrency])).toEqual([
      ['archive', 'dimse', 4],
      ['orthanc', 'dicomweb', 2],
    ]);
    expect(radiology.rules.map((r) => [r.id, r.enabled, r.priority])).toEqual([
      ['ct-to-archive', true, 0],
      ['stable-to-orthanc', true, 5],
    ]);
    expect(radiology.rules[1]!.modify).toEqual({ set: { InstitutionName: ['Radiology'] } });
    expect(tenants.get('cardiology')).toEqual({ destinations: [], rules: [] });
  });

  it('names the file, the tenant and the path of each problem', () => {
    type Tenants = Record<string, { destinations?: object[]; rules?: object[] }>;
    const broken: { tenants: Tenants } = structuredClone(EXAMPLE);
    broken.tenants['radiology']!.destinations![0] = { ...broken.tenants['radiology']!.destinations![0], port: 70000 };
    broken.tenants['radiology']!.rules!.push({
      id: 'typo',
      trigger: 'instance',
      condition: { attribute: 'Modalty', equals: 'MR' },
      destinations: ['orthank'],
    });
    broken.tenants['st-marys'] = {
      destinations: [],
      rules: [{ id: 'x', trigger: 'instance', condition: { any: [] }, destinations: ['archive'] }],
    };
    expect(problemsOf(JSON.stringify(broken))).toEqual([
      'routing.json: tenants.radiology.destinations[0].port: expected an integer from 1 to 65535 (got 70000)',
      'routing.json: tenants.radiology.rules[2].condition.attribute: unknown DICOM keyword "Modalty": expected a PS3.6 keyword such as "Modality" or 8 hex digits such as "00080060"',
      'routing.json: tenants.radiology.rules[2].destinations[0]: unknown destination "orthank" (known: "archive", "orthanc")',
      'routing.json: tenants["st-marys"].rules[0].condition.any: expected a non-empty array of conditions (got an empty array)',
      'routing.json: tenants["st-marys"].rules[0].destinations[0]: unknown destination "archive" (the tenant has no destinations)',
    ]);
  });

  it('checks rules against the tenant’s own destinations only', () => {
    const text = JSON.stringify({
      tenants: {
        a: { destinations: [{ id: 'pacs-a', kind: 'dicomweb', stowUrl: 'https://a/studies' }] },
        b: {
          rules: [
            {
              id: 'r',
              trigger: 'instance',
              condition: { attribute: 'Modality', present: true },
              destinations: ['pacs-a'],
            },
          ],
        },
      },
    });
    expect(problemsOf(text)).toEqual([
      'routing.json: tenants.b.rules[0].destinations[0]: unknown destination "pacs-a" (the tenant has no destinations)',
    ]);
  });

  it('refuses text that is not JSON, naming the file', () => {
    const [problem, ...rest] = problemsOf('{ "tenants": { "radiology": ');
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^routing\.json: not valid JSON: /);
  });

  it('refuses a document without tenants, unknown fields and bad tenant ids', () => {
    expect(problemsOf('[]')).toEqual(['routing.json: expected a JSON object with "tenants" (got an empty array)']);
    expect(problemsOf('{"tenant": {}}')).toEqual([
      'routing.json: tenants: missing, expected an object of tenant ids to { destinations, rules }',
      'routing.json: tenant: unknown field',
    ]);
    expect(problemsOf('{"tenants": []}')).toEqual([
      'routing.json: tenants: expected an object of tenant ids to { destinations, rules } (got an empty array)',
    ]);
    expect(problemsOf('{"tenants": {"Radiology": {}, "ok": {"destination": []}, "x": 1}, "version": 1}')).toEqual([
      'routing.json: version: unknown field',
      'routing.json: tenants.Radiology: not a tenant id: a tenant id is 1-63 lowercase letters, digits or dashes',
      'routing.json: tenants.ok.destination: unknown field',
      'routing.json: tenants.x: expected an object with destinations and rules (got 1)',
    ]);
  });
});
