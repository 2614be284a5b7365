
export { CAPABILITIES } from './types.js';
export type { Acl, Capability, Decision, PathRule, Policy, RequestCapability } from './types.js';
export { POLICY_LIMITS, isValidPolicyName, parsePolicy } from './parse.js';
export { compileAcl } from './acl.js';
export { renderPolicy, isSafeTemplateValue } from './template.js';
export type { TemplateEntity } from './template.js';
export { OPERATION_CAPABILITY, capabilityFor, policyRequestFor } from './capabilities.js';
export type { PolicyRequest } from './capabilities.js';
export { DEFAULT_POLICY_NAME, DEFAULT_POLICY_TEXT, ROOT_POLICY_NAME } from './default-policy.js';
export { POLICY_PREFIX, createPolicyStore } from './store.js';
export type { PolicyStore, PolicyStoreDeps } from './store.js';
export { createPolicyAuthorizer } from './authorizer.js';
export type { AuthorizeOptions, CapabilityList, PolicyAuthorizer, PolicyAuthorizerDeps } from './authorizer.js';
