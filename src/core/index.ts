export * from './bytes.js';
export * from './errors.js';
export * from './json.js';
export * from './paths.js';
export * from './runtime.js';
export * from './sensitive.js';
export * from './storage.js';
export * from './types.js';
