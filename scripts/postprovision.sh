#!/bin/sh
# azd postprovision hook (azure.yaml): runs after `azd provision` / `azd up` created the resources.
#  1. Creates the two signing keys in Key Vault when they do not exist yet (random, 32 bytes, base64),
#     so the app starts with keys nobody typed and no template or commit ever held.
#  2. Uploads config/world.json and config/policy.json to the configuration container; the running app
#     picks a changed version up within its poll interval (ETag), refuses an invalid one and keeps the last good.
# The deployer's rights come from infra/modules/deployer-roles.bicep (AZURE_PRINCIPAL_ID). Role assignments can
# take a minute or two to apply after a first provision, so each step is retried.
set -eu

: "${AZURE_KEY_VAULT_NAME:?run through azd: AZURE_KEY_VAULT_NAME is not set}"
: "${AZURE_FUNCTION_STORAGE_ACCOUNT:?run through azd: AZURE_FUNCTION_STORAGE_ACCOUNT is not set}"
CONFIG_DIR="${CORDON_CONFIG_DIR:-config}"
CONTAINER="config"

retry() {
  n=0
  until "$@"; do
    n=$((n + 1))
    if [ "$n" -ge 12 ]; then
      echo "postprovision: giving up after $n attempts: $*" >&2
      return 1
    fi
    echo "postprovision: not yet allowed (role assignments still applying?); retrying in 15 s" >&2
    sleep 15
  done
}

ensure_secret() {
  name="$1"
  if az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" --query id -o tsv >/dev/null 2>&1; then
    echo "postprovision: secret $name exists (rotate it as docs/deploy.md describes)"
    return 0
  fi
  value="$(openssl rand -base64 32)"
  retry az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" --value "$value" --output none
  echo "postprovision: secret $name created"
}

ensure_secret approval-signing-key
ensure_secret webhook-signing-key

for document in world policy; do
  file="$CONFIG_DIR/$document.json"
  [ -f "$file" ] || { echo "postprovision: $file is missing" >&2; exit 1; }
  retry az storage blob upload --auth-mode login --account-name "$AZURE_FUNCTION_STORAGE_ACCOUNT" \
    --container-name "$CONTAINER" --name "$document.json" --file "$file" --content-type application/json --overwrite --output none
  echo "postprovision: uploaded $file to $CONTAINER/$document.json"
done
