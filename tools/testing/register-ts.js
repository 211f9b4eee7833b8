// Lets a test start a TypeScript entry point in a child process, as the built app would run:
// `node -r ./tools/testing/register-ts.js apps/pacs/src/main.ts`. Compiles with SWC and the same
// .swcrc as the build (decorator metadata, @pacs/* paths).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..', '..');
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const options = { ...swcrc, swcrc: false, jsc: { ...swcrc.jsc, baseUrl: root } };

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename, sourceMaps: 'inline' });
  module._compile(code, filename);
};
