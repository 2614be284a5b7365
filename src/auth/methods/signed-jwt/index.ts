/** Verifying signed JWTs for logins: shared by the JWT and Kubernetes auth methods. */
export { ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS, algorithmListSchema, isAsymmetricAlgorithm } from './algorithms.js';
export type { AsymmetricAlgorithm } from './algorithms.js';
export { audiencesOf, checkAudience } from './audience.js';
export { MAX_JWT_LENGTH, checkCompactHeader } from './compact-header.js';
export { checkJwksDocument } from './jwks-document.js';
export { createKeySourceCache } from './key-source-cache.js';
export type { KeySourceCache } from './key-source-cache.js';
export { isPlainKid } from './kid.js';
export { createRemoteKeySet } from './remote-key-set.js';
export { createStaticKeySet, importPublicKeyPem } from './static-key-set.js';
export type { StaticKeySet } from './static-key-set.js';
export { refusalFor, verifySignedJwt } from './verify.js';
export type { KeySource, VerifyPolicy } from './verify.js';
