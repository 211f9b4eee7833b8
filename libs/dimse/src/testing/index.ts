export * from './dcmtk';
export * from './part10-file';
export * from './raw-peer';
export * from './self-signed-certificate';
