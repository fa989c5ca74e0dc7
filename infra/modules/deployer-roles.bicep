// Roles of whoever runs `azd up` (AZURE_PRINCIPAL_ID), so the postprovision hook can do its two jobs
// without anything hand-edited in the portal: upload config/ to the configuration container, and create
// the signing keys in Key Vault when they do not exist. Scoped to that container and that vault only;
// the app's own identity never gets them (its roles are in roles.bicep).

@description('Object id of the deploying user or pipeline.')
param principalId string

@description('User or ServicePrincipal.')
param principalType string

@description('Function App storage account.')
param functionStorageAccountName string

@description('Configuration container of that account.')
param configContainerName string

@description('Key Vault holding the application secrets.')
param keyVaultName string

resource functionStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: functionStorageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: functionStorage
  name: 'default'
}

resource configContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: configContainerName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// Storage Blob Data Contributor on the configuration container only
resource configUploader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(configContainer.id, principalId, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
  scope: configContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: principalId
    principalType: principalType
  }
}

// Key Vault Secrets Officer: create the signing keys once, rotate them later (docs/deploy.md)
resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')
    principalId: principalId
    principalType: principalType
  }
}
