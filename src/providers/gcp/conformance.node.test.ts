/** The shared provider conformance suite, on the GCP port against the in-repo gRPC double. */

import { describeProviderConformance } from '../provider.case.js';
import { GCP_NAMING } from '../naming.js';
import { startGcpFixture } from './test-gcp.node.js';

describeProviderConformance('gcp-secret-manager (gRPC double)', async () => {
  const fixture = await startGcpFixture();
  return { provider: fixture.port, naming: GCP_NAMING, cleanup: () => fixture.cleanup() };
});
