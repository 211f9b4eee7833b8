export * from './wado-uri.controller';
