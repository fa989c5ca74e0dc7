// Service Bus namespace (Standard: duplicate detection and topics are not available on Basic).
// Local (SAS) authentication is disabled: senders and receivers use Entra ID role assignments.

@description('Namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the namespace.')
param tags object

@description('Log Analytics workspace that receives the namespace logs and metrics.')
param logAnalyticsWorkspaceId string

@description('Deliveries of a queue message before it is dead-lettered; the app dead-letters on the last one itself (IntakeFailed) and must be told the same number (Cordon__ServiceBus__MaxDeliveryCount).')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

// Risk alerts from SIEM / insider-risk tools. alertId is the MessageId, so a producer that
// re-sends within 10 minutes is deduplicated by the broker before Cordon even sees it.
// A failed delivery comes back after a pause growing with its delivery count (5 s x n, at most 30 s,
// held under the 1-minute lock); the app dead-letters the last one itself as IntakeFailed (or the
// broker does on expiry): dead-lettered, never lost, and the operators are alerted (portal.bicep).
resource riskAlerts 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'risk-alerts'
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
    enableBatchedOperations: true
  }
}

// Access events from client systems (CRM / support tools the agents use); failures are settled like risk alerts.
resource accessEvents 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'access-events'
  properties: {
    deadLetteringOnMessageExpiration: true
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT1M'
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
    enableBatchedOperations: true
  }
}

// Incident lifecycle events for SIEM / ticketing subscribers. Activities may be retried, so the
// topic deduplicates on MessageId (the event id). Subscribers create their own subscriptions.
resource incidentEvents 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: 'incident-events'
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    defaultMessageTimeToLive: 'P14D'
    maxSizeInMegabytes: 1024
    enableBatchedOperations: true
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = namespace.name
// serviceBusEndpoint is "https://<name>.servicebus.windows.net:443/"; the SDKs want the bare host.
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')
output riskAlertsQueue string = riskAlerts.name
output accessEventsQueue string = accessEvents.name
output maxDeliveryCount int = maxDeliveryCount
output incidentEventsTopic string = incidentEvents.name
