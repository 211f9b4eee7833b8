export * from './multipart.errors';
export * from './content-type';
export { generateBoundary, MAX_BOUNDARY_LENGTH } from './multipart-boundary';
export type { PartHeaders } from './part-headers';
export * from './multipart-reader';
export * from './multipart-writer';
export * from './multipart-sender';
