// `npm run test:engines`: the adapters' suites against real engines (Kafka, FerretDB, Redis, S3).
// Start them with `npm run engines -- up` and export what `npm run engines -- env` prints.
const preset = require('./jest.preset');

module.exports = {
  ...preset,
  testMatch: ['<rootDir>/{apps,libs,tools}/**/*.engine.spec.ts'],
  testTimeout: 60000,
  // One suite at a time: the suites share the engines' topics and consumer groups (an audit app or an
  // indexer started by one suite would take partitions from another's).
  maxWorkers: 1,
};
