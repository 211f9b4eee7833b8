// `npm test`: unit tests and the embedded-shape integration tests. No external server needed.
const preset = require('./jest.preset');

module.exports = {
  ...preset,
  testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'],
  testPathIgnorePatterns: [...preset.testPathIgnorePatterns, '\\.engine\\.spec\\.ts$'],
};
