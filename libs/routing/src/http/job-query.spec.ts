import { HttpProblem } from './http-problem';
import { DEFAULT_JOB_PAGE, parseJobQuery } from './job-query';

function problems(query: Record<string, unknown>): unknown {
  try {
    parseJobQuery(query);
  } catch (error) {
    if (error instanceof HttpProblem) return { status: error.status, ...error.extensions };
    throw error;
  }
  throw new Error('accepted');
}

describe('parseJobQuery', () => {
  it('reads every parameter', () => {
    expect(
      parseJobQuery({ state: 'failed', destination: 'archive', study: '1.2.840.1', limit: '20', after: 'abc' }),
    ).toEqual({
      filter: { state: 'failed', destinationId: 'archive', studyInstanceUid: '1.2.840.1' },
      page: { limit: 20, after: 'abc' },
    });
  });

  it('lists all jobs a default page at a time when nothing is given', () => {
    expect(parseJobQuery({})).toEqual({ filter: {}, page: { limit: DEFAULT_JOB_PAGE } });
  });

  it('names each wrong parameter', () => {
    expect(problems({ state: 'done', destination: 'Archive!', study: '1.2.x', limit: '0', after: '' })).toEqual({
      status: 400,
      problems: [
        'state: expected one of pending, running, completed, failed, cancelled (got "done")',
        'destination: expected a destination id (got "Archive!")',
        'study: expected a Study Instance UID (got "1.2.x")',
        'limit: expected an integer from 1 to 1000 (got "0")',
        'after: expected the "next" of the previous page (got "")',
      ],
    });
  });

  it.each(['1001', '-1', '1.5', 'ten', '00000000001'])('refuses limit=%s', (limit) => {
    expect(problems({ limit })).toMatchObject({ problems: [expect.stringMatching(/^limit: /)] });
  });

  it('refuses an unknown or repeated parameter', () => {
    expect(problems({ status: 'failed', state: ['failed', 'pending'] })).toEqual({
      status: 400,
      problems: [
        'status: unknown parameter (expected state, destination, study, limit, after)',
        'state: given more than once',
      ],
    });
  });
});
