/** `config`: read and write the Kubernetes method's configuration. */

import { NotFoundError, invalidInput } from '../../../core/index.js';
import { noBody, noQuery } from '../../../native-engines/framework/index.js';
import { caIssues, publicKeyIssues } from '../config-checks.js';
import { configFromBody, configView, kubernetesConfigBody, kubernetesConfigView, loadKubernetesConfig, saveKubernetesConfig } from './config.js';
import { kubernetesKit } from './context.js';
import { KUBERNETES_ALGORITHMS } from './jwks-login.js';

/** The `config` path spec. */
export const configPath = kubernetesKit.definePath({
  pattern: 'config',
  help: {
    synopsis: 'Configure the Kubernetes cluster to trust.',
    description:
      'kubernetes_host and its CA; token_reviewer_jwt (write-only) for TokenReview, or use_jwks to verify tokens locally; issuer checks. A write replaces the whole configuration.',
  },
  async exists(ctx) {
    return (await ctx.storage.get('config')) !== null;
  },
  operations: {
    read: kubernetesKit.defineOperation({
      summary: 'Read the Kubernetes configuration',
      description: 'Returns the configuration without the reviewer JWT (token_reviewer_jwt_set says whether one is stored).',
      body: noBody,
      query: noQuery,
      response: kubernetesConfigView,
      async handler(ctx) {
        const config = await loadKubernetesConfig(ctx.storage);
        if (config === null) throw new NotFoundError('the kubernetes method is not configured');
        return { data: configView(config), cache: 'no-store' };
      },
    }),
    update: kubernetesKit.defineOperation({
      summary: 'Write the Kubernetes configuration',
      description: 'Validates and stores the whole configuration; fields left out are unset. No endpoint is contacted.',
      body: kubernetesConfigBody,
      query: noQuery,
      sensitive: ['token_reviewer_jwt'],
      async handler(ctx) {
        const config = configFromBody(ctx.body);
        const issues = [
          ...caIssues(ctx.runtime, 'kubernetes_ca_cert', config.kubernetes_ca_cert),
          ...caIssues(ctx.runtime, 'use_jwks.jwks_ca_pem', config.use_jwks?.jwks_ca_pem ?? null),
          ...(await publicKeyIssues(config.use_jwks?.pem_keys ?? [], KUBERNETES_ALGORITHMS, 'use_jwks.pem_keys', 'is not an RSA or EC public key')),
        ];
        if (issues.length > 0) throw invalidInput('invalid kubernetes configuration', issues);
        await saveKubernetesConfig(ctx.storage, config);
        ctx.state.keySources.clear();
        return { status: 204 };
      },
    }),
  },
});
