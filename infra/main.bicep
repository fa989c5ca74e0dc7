// Cordon: insider-risk response on Azure Functions (Flex Consumption, .NET 10 isolated, Durable Functions).
// Deployed with `azd up` (see azure.yaml and docs/deploy.md). Local modules only: no registry modules,
// so `bicep build` works offline (and in CI).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region for all resources. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@minLength(3)
@description('Sender address of Cordon e-mails (approval requests, notices); must be a verified SendGrid sender or belong to an authenticated domain.')
param emailFrom string

@minLength(1)
@description('Application (client) id of Cordon\'s Entra ID app registration for operator sign-in; created by the azd preprovision hook (infra/hooks/operators-app.sh) from infra/auth/app-roles.json.')
param operatorsClientId string

@minLength(3)
@description('Operators\' mailbox: log alerts (deadline missed, operator wait, dead-lettered alerts, containment failures).')
param operatorsEmail string

@description('Resource group name; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Maximum instances of the Flex Consumption app.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Memory per Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Key Vault purge protection. Recommended for production; cannot be disabled later. Set false for throw-away environments you want to purge with `azd down --purge`.')
param keyVaultPurgeProtection bool = true

@description('Application Insights accepts only Entra ID authenticated telemetry (the identity holds Monitoring Metrics Publisher).')
param appInsightsDisableLocalAuth bool = true

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 90

@description('Replication of the evidence storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param evidenceStorageSku string = 'Standard_ZRS'

@description('How often each site that names an Entra group (directoryGroupId in the world) has its roster synced from Microsoft Graph (a .NET TimeSpan, hh:mm:ss). The timer ticks every 5 minutes; a sync cut short by throttling resumes at the next tick.')
param rosterSyncInterval string = '00:15:00'

@description('Object id of the person or pipeline running azd (azd sets AZURE_PRINCIPAL_ID): it may upload the configuration and set the signing keys from the postprovision hook. Empty: no such roles.')
param principalId string = ''

@description('Type of principalId: User for a person, ServicePrincipal for a pipeline.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'cordon'
}

var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  identity: 'id-cordon-${resourceToken}'
  logAnalytics: 'log-cordon-${resourceToken}'
  appInsights: 'appi-cordon-${resourceToken}'
  functionStorage: 'stfn${resourceToken}'
  evidenceStorage: 'stev${resourceToken}'
  serviceBus: 'sb-cordon-${resourceToken}'
  keyVault: 'kv-cordon-${take(resourceToken, 12)}'
  plan: 'plan-cordon-${resourceToken}'
  functionApp: 'func-cordon-${resourceToken}'
}

var deploymentContainerName = 'app-package'
var evidenceContainerName = 'evidence'
var incidentEventsTopicName = 'incident-events'
var configContainerName = 'config'
// Deliveries of a risk-alerts / access-events message: the queues' maxDeliveryCount and the app's
// Cordon:ServiceBus:MaxDeliveryCount (on this delivery a failure is dead-lettered by Cordon as IntakeFailed, counted and alerted on).
var serviceBusMaxDeliveryCount = 10
// Reachable without a user sign-in (App Service Authentication excludedPaths); everything else, the
// dashboard and /api/incidents/* among it, needs an Entra ID sign-in.
var anonymousPaths = [
  '/api/alerts'
  '/api/telemetry'
  '/api/approvals/*'
  '/api/health'
  '/api/openapi.json'
]
var approvalSigningKeySecretName = 'approval-signing-key'
var webhookSigningKeySecretName = 'webhook-signing-key'
var sendGridApiKeySecretName = 'sendgrid-api-key'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.appInsights
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module functionStorage 'modules/storage-functions.bicep' = {
  name: 'function-storage'
  scope: rg
  params: {
    name: names.functionStorage
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    configContainerName: configContainerName
  }
}

module evidenceStorage 'modules/storage-evidence.bicep' = {
  name: 'evidence-storage'
  scope: rg
  params: {
    name: names.evidenceStorage
    location: location
    tags: tags
    skuName: evidenceStorageSku
    containerName: evidenceContainerName
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'service-bus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    maxDeliveryCount: serviceBusMaxDeliveryCount
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

module roles 'modules/roles.bicep' = {
  name: 'role-assignments'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    functionStorageAccountName: functionStorage.outputs.name
    evidenceStorageAccountName: evidenceStorage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// The deployer (not the app) uploads the configuration and creates the signing keys in the postprovision hook.
module deployerRoles 'modules/deployer-roles.bicep' = if (!empty(principalId)) {
  name: 'deployer-role-assignments'
  scope: rg
  params: {
    principalId: principalId
    principalType: principalType
    functionStorageAccountName: functionStorage.outputs.name
    configContainerName: configContainerName
    keyVaultName: keyVault.outputs.name
  }
}

// Versionless secret URIs: the app picks up a rotated secret without a redeploy.
var signingKeyReference = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${approvalSigningKeySecretName})'
var webhookKeyReference = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${webhookSigningKeySecretName})'
var sendGridKeyReference = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${sendGridApiKeySecretName})'

module functionApp 'modules/functionapp.bicep' = {
  name: 'function-app'
  scope: rg
  // The host must be able to reach its storage the moment it starts.
  dependsOn: [
    roles
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    azdServiceName: 'functions'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: functionStorage.outputs.name
    storageBlobEndpoint: functionStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    operatorsClientId: operatorsClientId
    anonymousPaths: anonymousPaths
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    appSettings: {
      ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
      ServiceBusConnection__credential: 'managedidentity'
      ServiceBusConnection__clientId: identity.outputs.clientId
      Cordon__ServiceBus__MaxDeliveryCount: string(serviceBusMaxDeliveryCount)
      Cordon__Approvals__SigningKey: signingKeyReference
      Cordon__Approvals__BaseUrl: 'https://${names.functionApp}.azurewebsites.net'
      Cordon__Webhooks__SigningKey: webhookKeyReference
      Cordon__Email__SendGridApiKey: sendGridKeyReference
      Cordon__Email__From: emailFrom
      // World and policy: blobs of this container, re-read when their ETag changes (postprovision uploads config/).
      Cordon__Configuration__ContainerUri: '${functionStorage.outputs.blobEndpoint}${configContainerName}'
      Cordon__Evidence__BlobServiceUri: evidenceStorage.outputs.blobEndpoint
      Cordon__Evidence__Container: evidenceContainerName
      Cordon__Events__FullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
      Cordon__Events__Topic: incidentEventsTopicName
      // Behaviour monitoring: per-agent state in the function storage account's tables (Storage Table Data Contributor).
      Cordon__Behaviour__Store: 'table'
      Cordon__Behaviour__TableServiceUri: functionStorage.outputs.tableEndpoint
      // Site rosters synced from Entra groups (Graph delta): members and delta links in the same account's tables.
      Cordon__Roster__Store: 'table'
      Cordon__Roster__TableServiceUri: functionStorage.outputs.tableEndpoint
      Cordon__Roster__SyncInterval: rosterSyncInterval
    }
  }
}

module portal 'modules/portal.bicep' = {
  name: 'portal'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    operatorsEmail: operatorsEmail
    nameSuffix: resourceToken
    serviceBusNamespaceName: serviceBus.outputs.name
    serviceBusQueues: [
      serviceBus.outputs.riskAlertsQueue
      serviceBus.outputs.accessEventsQueue
    ]
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_FUNCTION_STORAGE_ACCOUNT string = functionStorage.outputs.name
output AZURE_SERVICE_BUS_NAMESPACE string = serviceBus.outputs.name
output AZURE_SERVICE_BUS_FQDN string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_CONFIG_CONTAINER_URL string = '${functionStorage.outputs.blobEndpoint}${configContainerName}'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri
output AZURE_EVIDENCE_STORAGE_ACCOUNT string = evidenceStorage.outputs.name
output AZURE_EVIDENCE_BLOB_ENDPOINT string = evidenceStorage.outputs.blobEndpoint
output AZURE_EVIDENCE_CONTAINER string = evidenceStorage.outputs.containerName
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_PORTAL_WORKBOOK_ID string = portal.outputs.workbookId
