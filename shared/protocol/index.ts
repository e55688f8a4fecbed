/** The pure protocol core: safe for every bundle, the renderer included. */
export * from './commands';
export * from './errors';
export * from './amounts';
export * from './schemas';
export * from './address-format';
