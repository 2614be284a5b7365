export { createRootTokenAuthenticator, TOKEN_PREFIX } from './root-token.js';
export type { RootTokenAuthenticator } from './root-token.js';
