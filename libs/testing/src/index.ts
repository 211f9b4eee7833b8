// Test support shared by the suites: real-engine environment, app processes. Test code only.
export * from './engine-env';
export * from './app-process';
export * from './stored-files';
export * from './multipart-body';
export * from './orthanc';
export * from './move-destination';
export * from './store-contract-context';
