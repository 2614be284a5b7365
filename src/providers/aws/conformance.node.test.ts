/** The shared provider conformance suite (../provider.case.ts) against the AWS port on moto. */

import { AWS_NAMING } from '../naming.js';
import { describeProviderConformance } from '../provider.case.js';
import { motoPort, motoSuite, startMoto } from './test-moto.node.js';
import { describe } from 'vitest';

const { skip } = motoSuite('aws secrets manager conformance');

if (skip) describe.skip('SecretProvider conformance: aws-secrets-manager (moto)', () => undefined);
else {
  describeProviderConformance('aws-secrets-manager (moto)', async () => {
    const moto = await startMoto();
    const provider = motoPort(moto);
    return {
      provider,
      naming: AWS_NAMING,
      async cleanup() {
        await provider.close?.();
        await moto.stop();
      },
    };
  });
}
