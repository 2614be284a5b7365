/** The AWS auth method's public surface. */

export { awsMethod } from './method.js';
export { SERVER_ID_HEADER, VAULT_SERVER_ID_HEADER } from './server-id-header.js';
