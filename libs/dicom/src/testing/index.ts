export * from './dataset-builder';
export * from './ct-instance';
export * from './pydicom-corpus';
