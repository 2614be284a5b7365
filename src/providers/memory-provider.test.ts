import { GCP_NAMING } from './naming.js';
import { createMemoryProvider } from './memory-provider.js';
import { describeProviderConformance } from './provider.case.js';

describeProviderConformance('memory', async () => ({ provider: createMemoryProvider(), naming: GCP_NAMING }));
