/**
 * The bench's "AWS SDK calling moto directly" baseline: a bare `node:http` server whose
 * every request is one `GetSecretValue` through `@aws-sdk/client-secrets-manager` (retries
 * off, as Keygate's port sets them), answering the SecretString. It is loaded exactly like
 * Keygate (same load generator, same HTTP hop, same CPU pinning), so the difference between
 * the two is what Keygate adds on a miss: authentication, policy, audit, routing and its
 * provider middleware.
 *
 * Usage: node dist/bench/sdk-direct.js <moto endpoint> <secret id>
 */

import http from 'node:http';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const [endpoint, secretId] = process.argv.slice(2);
if (endpoint === undefined || secretId === undefined) {
  process.stderr.write('usage: sdk-direct <endpoint> <secret id>\n');
  process.exit(2);
}

const client = new SecretsManagerClient({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 1,
});

const server = http.createServer((_req, res) => {
  client.send(new GetSecretValueCommand({ SecretId: secretId })).then(
    (out) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: JSON.parse(out.SecretString ?? '{}') as unknown }));
    },
    (err: unknown) => {
      res.statusCode = 502;
      res.end(JSON.stringify({ error: err instanceof Error ? err.name : 'error' }));
    },
  );
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
