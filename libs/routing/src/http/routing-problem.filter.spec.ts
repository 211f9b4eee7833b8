import { RoutingStoreError } from '@pacs/routing-store';
import { ManualForwardError } from '../service/plan-forwards.use-case';
import { RoutingManagedByFileError } from '../service/routing-config.service';
import { HttpProblem, problemBody } from './http-problem';
import { problemOf } from './routing-problem.filter';

const answer = (error: Parameters<typeof problemOf>[0]) => problemBody(problemOf(error));

describe('problemOf', () => {
  it('answers a change of a tenant of the routing file with 409 naming the file', () => {
    expect(answer(new RoutingManagedByFileError('radiology', '/etc/pacs/routing.json'))).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'the routing of tenant "radiology" is managed by /etc/pacs/routing.json: change it there and restart',
      code: 'MANAGED_BY_FILE',
      file: '/etc/pacs/routing.json',
    });
  });

  it('answers a manual forward of nothing, or to nowhere, with 404', () => {
    expect(answer(new ManualForwardError('UNKNOWN_DESTINATION', 'no destination "x"'))).toMatchObject({
      status: 404,
      detail: 'no destination "x"',
      code: 'UNKNOWN_DESTINATION',
    });
  });

  it('maps the routing store errors by code', () => {
    const invalid = new RoutingStoreError(
      'INVALID_ARGUMENT',
      'page.after: is not the next of a page of listJobs',
      false,
    );
    expect(answer(invalid)).toMatchObject({ status: 400, detail: 'after: not the "next" of a page of jobs' });
    expect(answer(new RoutingStoreError('UNAVAILABLE', 'sqlite: disk I/O error', true))).toMatchObject({
      status: 503,
      detail: 'the routing store is unavailable, try again',
    });
    expect(answer(new RoutingStoreError('CONFLICT', 'expected revision 3', false))).toMatchObject({ status: 409 });
    expect(answer(new RoutingStoreError('SCHEMA_TOO_NEW', 'v9', false))).toMatchObject({ status: 500 });
  });

  it('passes an HttpProblem through with its extensions', () => {
    expect(answer(new HttpProblem(400, 'invalid rule: x', { problems: ['x'] }))).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'invalid rule: x',
      problems: ['x'],
    });
  });
});
