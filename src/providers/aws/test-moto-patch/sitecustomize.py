"""
Keygate test patch for moto, loaded only into the moto servers the AWS provider tests start
(their PYTHONPATH points here; see ../test-moto.node.ts). Never used outside tests.

moto gap: UpdateSecretVersionStage moves the AWSCURRENT label but not moto's own
"default version" pointer, which PutSecretValue(AWSCURRENT) later uses to pick the version
that becomes AWSPREVIOUS. After a promote, the next write then leaves two versions labelled
AWSCURRENT. AWS documents one AWSCURRENT per secret, moved from whichever version holds it
(UpdateSecretVersionStage, PutSecretValue API references). The patch keeps the pointer on the
AWSCURRENT holder, which is what AWS does; it changes nothing else.
"""

try:
    from moto.secretsmanager import models as _models

    _original = _models.SecretsManagerBackend.update_secret_version_stage

    def _update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
        result = _original(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            secret = self.secrets[secret_id]
            if hasattr(secret, "set_default_version_id"):
                secret.set_default_version_id(move_to_version_id)
        return result

    _models.SecretsManagerBackend.update_secret_version_stage = _update_secret_version_stage
except Exception:  # a different moto: run it unpatched rather than not at all
    pass
