export * from './numbers';
export * from './amounts';
export * from './bytes';
export * from './time';
export * from './ids';
export * from './validate';
