import { describe, it } from 'vitest';
import { azureEmulatorSkipReason, startLowkeyVault } from '../../../test/emulators/lowkey-vault.js';
import { AZURE_NAMING } from '../naming.js';
import { describeProviderConformance } from '../provider.case.js';
import { clearAzureEnvironment, portOn } from './test-emulator.node.js';

clearAzureEnvironment();
const skip = azureEmulatorSkipReason('azure-key-vault conformance');

if (skip === null) {
  describeProviderConformance('azure-key-vault (Azure Key Vault emulator)', async () => {
    const emulator = await startLowkeyVault();
    return { provider: portOn(emulator), naming: AZURE_NAMING, cleanup: () => emulator.stop() };
  });
} else {
  describe.skip(`azure-key-vault conformance: ${skip}`, () => {
    it('needs an Azure Key Vault emulator', () => undefined);
  });
}
