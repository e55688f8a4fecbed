/** The node-only half of the protocol core (node:crypto, wasm hashing). Never import from the renderer. */
export * from './keys';
export * from './sign';
export * from './address';
export * from './signed-payload';
