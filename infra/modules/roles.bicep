// Every Azure RBAC permission Cordon has, and nothing more. All assignments go to the one
// user-assigned identity and are scoped to a single resource each (never the resource group).
// The role definition ids are Azure built-in roles (same GUID in every tenant).
// Infra tests compare this exact set; adding a role here must be a deliberate, reviewed change.

@description('Principal (object) id of the user-assigned managed identity.')
param principalId string

@description('Function App storage account (host, deployment package, durable task hub).')
param functionStorageAccountName string

@description('Evidence storage account.')
param evidenceStorageAccountName string

@description('Service Bus namespace.')
param serviceBusNamespaceName string

@description('Key Vault holding the application secrets.')
param keyVaultName string

@description('Application Insights component.')
param applicationInsightsName string

resource functionStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: functionStorageAccountName
}

resource evidenceStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: evidenceStorageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Function storage: Storage Blob Data Owner (host blob leases, deployment package, task hub blobs)
resource functionBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(functionStorage.id, principalId, 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
  scope: functionStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Function storage: Storage Queue Data Contributor (durable task hub control/work-item queues)
resource functionQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(functionStorage.id, principalId, '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
  scope: functionStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Function storage: Storage Table Data Contributor (durable task hub history/instances tables, keyed state)
resource functionTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(functionStorage.id, principalId, '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
  scope: functionStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Evidence storage: Storage Blob Data Contributor (write evidence items, manifests, reports)
resource evidenceBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(evidenceStorage.id, principalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: evidenceStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Service Bus: Azure Service Bus Data Receiver (risk-alerts / access-events triggers)
resource serviceBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, principalId, '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
  scope: serviceBus
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Service Bus: Azure Service Bus Data Sender (incident-events topic)
resource serviceBusSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, principalId, '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
  scope: serviceBus
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault: Key Vault Secrets User (resolve the two Key Vault references; read only)
resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, '4633458b-17de-408a-b874-0445c86b69e6')
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights: Monitoring Metrics Publisher (Entra ID authenticated telemetry ingestion)
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, '3913510d-42f4-4e42-8a64-420c390055eb')
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
