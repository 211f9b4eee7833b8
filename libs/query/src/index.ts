export * from './qido.controller';
export * from './query.module';
