import { x } from '@pacs/contracts';
console.log(process.version, x);
