#!/bin/sh
# azd postprovision hook (azure.yaml): runs after `azd provision` / `azd up` created the resources, before `azd up`
# deploys the code.
#  1. Creates the two signing keys in Key Vault when they do not exist yet (random, 32 bytes, base64),
#     so the app starts with keys nobody typed and no template or commit ever held. A key is created only when
#     Key Vault answers that it does not exist (SecretNotFound): any other failure to read it stops the hook and
#     changes nothing, so an existing key is never replaced (a new approval key would void every link already sent).
#  2. Uploads config/world.json and config/policy.json to the configuration container; the running app
#     picks a changed version up within its poll interval (ETag), refuses an invalid one and keeps the last good.
#  3. Checks that the SendGrid API key (secret sendgrid-api-key) is in Key Vault. The app refuses to start without
#     it (Cordon__Email__SendGridApiKey is a Key Vault reference, validated at start-up). When it is missing the hook
#     stores CORDON_SENDGRID_API_KEY from the environment if set, else asks for it on a terminal, else stops with
#     an error, so `azd up` does not deploy an app that cannot start (docs/deploy.md, section 3).
# The deployer's rights come from infra/modules/deployer-roles.bicep (AZURE_PRINCIPAL_ID). Role assignments can
# take a minute or two to apply after a first provision, so "not allowed" answers are retried for a while.
set -eu

: "${AZURE_KEY_VAULT_NAME:?run through azd: AZURE_KEY_VAULT_NAME is not set}"
: "${AZURE_FUNCTION_STORAGE_ACCOUNT:?run through azd: AZURE_FUNCTION_STORAGE_ACCOUNT is not set}"
CONFIG_DIR="${CORDON_CONFIG_DIR:-config}"
CONTAINER="config"
ATTEMPTS=12
PAUSE=15

ERRORS="$(mktemp)"
ECHO_OFF=""
trap 'rm -f "$ERRORS"; [ -z "$ECHO_OFF" ] || stty echo' EXIT
trap 'exit 130' INT TERM

# The first line of the last Azure CLI error (never a secret: the CLI does not echo values).
last_error() {
  grep -m1 -E 'ERROR|\(' "$ERRORS" 2>/dev/null || head -n1 "$ERRORS" 2>/dev/null || true
}

retry() {
  n=0
  until "$@" 2>"$ERRORS"; do
    n=$((n + 1))
    if [ "$n" -ge "$ATTEMPTS" ]; then
      echo "postprovision: giving up after $n attempts: $*" >&2
      echo "postprovision: last error: $(last_error)" >&2
      return 1
    fi
    echo "postprovision: not done yet ($(last_error)); role assignments may still be applying, retrying in $PAUSE s" >&2
    sleep "$PAUSE"
  done
}

# Sets STATE to "present" or "missing" for a Key Vault secret. "missing" only when Key Vault says SecretNotFound; any
# other failure (not allowed, network, throttling) is retried and then stops the hook, never taken for "missing".
# (Called directly, not in $(…): its exit must end the script.)
secret_state() {
  name="$1"
  n=0
  while :; do
    if az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" --query id -o tsv >/dev/null 2>"$ERRORS"; then
      STATE=present
      return 0
    fi
    if grep -q 'SecretNotFound' "$ERRORS"; then
      STATE=missing
      return 0
    fi
    n=$((n + 1))
    if [ "$n" -ge "$ATTEMPTS" ]; then
      {
        echo "postprovision: cannot tell whether secret $name exists in $AZURE_KEY_VAULT_NAME: $(last_error)"
        echo "postprovision: nothing was created or replaced. You need Key Vault Secrets Officer on the vault"
        echo "postprovision: (infra/modules/deployer-roles.bicep grants it to AZURE_PRINCIPAL_ID on \`azd provision\`)."
      } >&2
      exit 1
    fi
    echo "postprovision: cannot read secret $name yet ($(last_error)); retrying in $PAUSE s" >&2
    sleep "$PAUSE"
  done
}

ensure_signing_key() {
  name="$1"
  secret_state "$name"
  if [ "$STATE" = present ]; then
    echo "postprovision: secret $name exists (rotate it as docs/deploy.md describes)"
    return 0
  fi
  value="$(openssl rand -base64 32)"
  retry az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" --value "$value" --output none
  echo "postprovision: secret $name created"
}

ensure_signing_key approval-signing-key
ensure_signing_key webhook-signing-key

for document in world policy; do
  file="$CONFIG_DIR/$document.json"
  [ -f "$file" ] || { echo "postprovision: $file is missing" >&2; exit 1; }
  retry az storage blob upload --auth-mode login --account-name "$AZURE_FUNCTION_STORAGE_ACCOUNT" \
    --container-name "$CONTAINER" --name "$document.json" --file "$file" --content-type application/json --overwrite --output none
  echo "postprovision: uploaded $file to $CONTAINER/$document.json"
done

secret_state sendgrid-api-key
if [ "$STATE" = present ]; then
  echo "postprovision: secret sendgrid-api-key exists"
  exit 0
fi

key="${CORDON_SENDGRID_API_KEY:-}"
if [ -z "$key" ] && [ -t 0 ] && [ -t 2 ]; then
  printf 'postprovision: SendGrid API key (docs/deploy.md, section 5; input hidden): ' >&2
  ECHO_OFF=1
  stty -echo
  IFS= read -r key || key=""
  stty echo
  ECHO_OFF=""
  echo >&2
fi
if [ -z "$key" ]; then
  {
    echo "postprovision: secret sendgrid-api-key is not in Key Vault $AZURE_KEY_VAULT_NAME, and the app refuses to start"
    echo "postprovision: without it (Cordon:Email:SendGridApiKey is an unresolved Key Vault reference)."
    echo "postprovision: store it as docs/deploy.md section 3 shows, then run \`azd deploy\` (or \`azd up\` again)."
  } >&2
  exit 1
fi
retry az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name sendgrid-api-key --value "$key" --output none
unset key
echo "postprovision: secret sendgrid-api-key stored"
