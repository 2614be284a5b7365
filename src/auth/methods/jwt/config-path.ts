/** `config`: read and write the JWT method's configuration. */

import { NotFoundError, invalidInput } from '../../../core/index.js';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { caIssues, publicKeyIssues } from '../config-checks.js';
import { configFromBody, jwtConfigBody, loadJwtConfig, saveJwtConfig, storedJwtConfigSchema } from './config.js';
import { jwtKit } from './context.js';

/** The `config` path spec. */
export const configPath = jwtKit.definePath({
  pattern: 'config',
  help: {
    synopsis: 'Configure how JWTs are verified.',
    description:
      'Exactly one key source: jwks_url, oidc_discovery_url or jwt_validation_pubkeys; optional CA bundles for private endpoints, bound_issuer and jwt_supported_algs. A write replaces the whole configuration.',
  },
  async exists(ctx) {
    return (await ctx.storage.get('config')) !== null;
  },
  operations: {
    read: jwtKit.defineOperation({
      summary: 'Read the JWT configuration',
      body: noBody,
      query: noQuery,
      response: storedJwtConfigSchema,
      async handler(ctx) {
        const config = await loadJwtConfig(ctx.storage);
        if (config === null) throw new NotFoundError('the jwt method is not configured');
        return { data: { ...config }, cache: 'no-store' };
      },
    }),
    update: jwtKit.defineOperation({
      summary: 'Write the JWT configuration',
      description: 'Validates and stores the whole configuration; fields left out are unset. No endpoint is contacted.',
      body: jwtConfigBody,
      query: noQuery,
      async handler(ctx) {
        const config = configFromBody(ctx.body);
        const issues = [
          ...caIssues(ctx.runtime, 'jwks_ca_pem', config.jwks_ca_pem),
          ...caIssues(ctx.runtime, 'oidc_discovery_ca_pem', config.oidc_discovery_ca_pem),
          ...(await publicKeyIssues(config.jwt_validation_pubkeys, config.jwt_supported_algs, 'jwt_validation_pubkeys', 'is not a public key for any algorithm in jwt_supported_algs')),
        ];
        if (issues.length > 0) throw invalidInput('invalid jwt configuration', issues);
        await saveJwtConfig(ctx.storage, config);
        ctx.state.keySources.clear();
        ctx.state.discovery.clear();
        return { status: 204 };
      },
    }),
  },
});
