/**
 * `src/cloud/`: connection glue for the three clouds, written once for the two layers that
 * talk to them: `providers/` (AWS Secrets Manager, GCP Secret Manager, Azure Key Vault
 * secrets) and `barrier/seals/` (AWS KMS, Cloud KMS, Azure Key Vault keys).
 *
 * | folder | owns |
 * | --- | --- |
 * | `aws/` | region, endpoint and static-credential option schemas; SDK client settings; error shapes |
 * | `gcp/` | project, service account key and endpoint option schemas; gRPC status codes; CRC32C; client construction and call cancellation (`client.node.ts`) |
 * | `azure/` | vault URL, tenant, client and TLS option schemas; client options; error shapes |
 *
 * Layering (ARCHITECTURE.md, "Layers and their rooms"; eslint.config.js `layer('cloud', …)`):
 * `cloud/` may import only `core/`; `providers/` and `barrier/` may import `cloud/`. What is
 * a store's or a seal's own (its operations, its failure kinds and sentences, `ProviderError`
 * or the seal error codes) stays in that layer: this folder never decides what a failure
 * means for a caller, it only reads SDK errors by shape.
 *
 * Runtime-neutral except `*.node.ts` files (Google's gRPC client), which only `*.node.ts`
 * files import. Each cloud's `index.ts` is its runtime-neutral surface.
 */

export { NETWORK_CODES, field, text } from './errors.js';
export { canonicalOrigin, isLoopbackHost, originSchema } from './endpoints.js';
