export * from './tag';
export * from './vr';
export * from './dicom.errors';
export * from './dictionary';
export * from './transfer-syntax';
export * from './character-set';
export * from './dicom-dataset';
export * from './element-value';
export {
  readDataset,
  type DatasetReadComplete,
  type DatasetReadNeedMoreBytes,
  type DatasetReadResult,
  type ReadDatasetOptions,
} from './dataset-reader';
export * from './part10';
export * from './part10-writer';
export * from './uid';
export * from './dicom-json';
export * from './index-attributes';
