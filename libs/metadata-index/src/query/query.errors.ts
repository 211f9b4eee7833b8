/**
 * A query key whose value this PACS cannot use: answered 400 by QIDO-RS (naming the parameter)
 * and A900/C000-class statuses by C-FIND. `key` is the parameter or attribute as the client wrote it.
 */
export class QueryError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'QueryError';
  }
}
