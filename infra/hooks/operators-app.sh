#!/usr/bin/env bash
# Cordon's Entra ID app registration for operator sign-in (App Service Authentication), kept by azd hooks
# because Bicep cannot create app registrations here (the Microsoft Graph Bicep extension comes from a
# registry this template does not use). Idempotent: re-running updates the same registration.
#   pre  (azd preprovision):  create or update the registration with the app roles of infra/auth/app-roles.json,
#                             require role assignment, make the deploying user a Cordon.Operator, and store
#                             CORDON_OPERATORS_CLIENT_ID for the Bicep.
#   post (azd postprovision): register the sign-in redirect URI of the deployed app.
# Needs: az logged in to the same tenant; the right to register applications (default for users, or
# Application Developer) and to assign its app roles (owner of the registration: the creator is).
set -euo pipefail
mode="${1:-pre}"
here="$(cd "$(dirname "$0")" && pwd)"
name="cordon-operators-${AZURE_ENV_NAME:?AZURE_ENV_NAME is not set}"

if [ "$mode" = "pre" ]; then
  app_id="${CORDON_OPERATORS_CLIENT_ID:-}"
  if [ -z "$app_id" ]; then
    app_id="$(az ad app list --display-name "$name" --query "[0].appId" -o tsv)"
  fi
  if [ -z "$app_id" ]; then
    app_id="$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg \
      --enable-id-token-issuance true --app-roles "@$here/../auth/app-roles.json" --query appId -o tsv)"
    echo "created app registration $name ($app_id)"
  else
    az ad app update --id "$app_id" --enable-id-token-issuance true --app-roles "@$here/../auth/app-roles.json"
    echo "updated app registration $name ($app_id)"
  fi
  az ad app update --id "$app_id" --identifier-uris "api://$app_id"
  sp_id="$(az ad sp show --id "$app_id" --query id -o tsv 2>/dev/null || az ad sp create --id "$app_id" --query id -o tsv)"
  # Only users (and apps) holding a Cordon role can sign in at all.
  az ad sp update --id "$sp_id" --set appRoleAssignmentRequired=true
  me="$(az ad signed-in-user show --query id -o tsv)"
  role_id="$(jq -r '.[] | select(.value=="Cordon.Operator") | .id' "$here/../auth/app-roles.json")"
  if [ "$(az rest --method GET --url "https://graph.microsoft.com/v1.0/servicePrincipals/$sp_id/appRoleAssignedTo" \
        --query "length(value[?principalId=='$me' && appRoleId=='$role_id'])" -o tsv)" = "0" ]; then
    az rest --method POST --url "https://graph.microsoft.com/v1.0/servicePrincipals/$sp_id/appRoleAssignedTo" \
      --headers "Content-Type=application/json" \
      --body "{\"principalId\":\"$me\",\"resourceId\":\"$sp_id\",\"appRoleId\":\"$role_id\"}" --output none
    echo "assigned you Cordon.Operator"
  fi
  azd env set CORDON_OPERATORS_CLIENT_ID "$app_id"
else
  app_id="${CORDON_OPERATORS_CLIENT_ID:?run the preprovision hook first}"
  url="${AZURE_FUNCTION_APP_URL:?AZURE_FUNCTION_APP_URL is not set (provision first)}"
  az ad app update --id "$app_id" --web-redirect-uris "$url/.auth/login/aad/callback"
  echo "sign-in redirect: $url/.auth/login/aad/callback"
fi
