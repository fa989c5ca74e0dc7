// The operators' portal: an Azure Monitor workbook over the telemetry Cordon emits (meter "Cordon",
// traces of the incidents) and log alert rules that mail the operators through one action group.
// Queries run against the workspace-based Application Insights component (tables customMetrics, traces).

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Application Insights component the queries run against.')
param applicationInsightsName string

@description('Operators\' mailbox that receives the log alerts.')
param operatorsEmail string

@description('Unique suffix for names.')
param nameSuffix string

@description('Service Bus namespace whose queues Cordon reads (risk alerts, access events).')
param serviceBusNamespaceName string

@description('Queues whose dead-letter queue must stay empty: any message in one pages the operators.')
param serviceBusQueues array

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-cordon-operators-${nameSuffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'cordon-ops'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: operatorsEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Each rule: a KQL query over the last window, fired when it returns a row; evaluated every 5 minutes.
var rules = [
  {
    name: 'deadline-missed'
    displayName: 'Cordon: a regulatory or contract deadline was missed'
    severity: 1
    query: 'customMetrics | where name == "cordon.deadlines.missed" | extend jurisdiction = tostring(customDimensions.jurisdiction) | summarize missed = sum(valueSum) by jurisdiction | where missed > 0'
  }
  {
    name: 'operator-wait-15min'
    displayName: 'Cordon: an incident has waited for an operator for over 15 minutes'
    severity: 2
    // "Operator attention for …" is logged when a step fails after its retries (or an incident ends unreviewed);
    // the incident logs again once an operator retries it. Still silent 15 minutes later: nobody has acted.
    query: 'let asked = traces | where timestamp > ago(2h) | where message startswith "Operator attention for" | extend incident = tostring(customDimensions.IncidentId) | summarize askedAt = max(timestamp) by incident; let seen = traces | where timestamp > ago(2h) | extend incident = tostring(customDimensions.IncidentId) | where isnotempty(incident) | summarize lastSeen = max(timestamp) by incident; asked | join kind=inner seen on incident | where askedAt < ago(15m) and lastSeen < askedAt + 1m | project incident, askedAt'
  }
  {
    name: 'alerts-dead-lettered'
    displayName: 'Cordon: risk alerts were dead-lettered (refused as bad input on Service Bus)'
    severity: 2
    query: 'customMetrics | where name == "cordon.alerts.refused" | where tostring(customDimensions.channel) == "service-bus" | extend reason = tostring(customDimensions.reason) | summarize refused = sum(valueSum) by reason | where refused > 0'
  }
  {
    name: 'intake-failed'
    displayName: 'Cordon: a valid Service Bus message was dead-lettered after every delivery failed (IntakeFailed): resubmit it once the cause is fixed'
    severity: 1
    query: 'customMetrics | where name == "cordon.messages.dead_lettered" | where tostring(customDimensions.reason) == "IntakeFailed" | extend queue = tostring(customDimensions.queue) | summarize deadLettered = sum(valueSum) by queue | where deadLettered > 0'
  }
  {
    name: 'containment-failed'
    displayName: 'Cordon: containment failed (a subject may still have access)'
    severity: 0
    query: 'traces | where message startswith "Operator attention for" | where message has "ContainSubject" or message has "session kill failed" | project timestamp, incident = tostring(customDimensions.IncidentId), message'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for rule in rules: {
  name: 'cordon-${rule.name}-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: rule.displayName
    description: rule.displayName
    severity: rule.severity
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        operators.id
      ]
    }
  }
}]

// Any message in the dead-letter queue of risk-alerts or access-events, whoever put it there: Cordon (bad input,
// IntakeFailed), the broker (max delivery count after a crash loop, expiry). The metric is the queue's current
// dead-letter count, so the alert stays fired until the dead-letter queue is emptied (resubmitted or removed),
// then resolves; each IntakeFailed is also mailed on its own by the 'intake-failed' log rule.
resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'cordon-service-bus-dead-letters-${nameSuffix}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Cordon: a risk-alerts or access-events message is in its dead-letter queue (a valid alert there was never acted on)'
    severity: 1
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: serviceBusQueues
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}

// Workbook sections: incidents by stage, time to contain, exposure windows, deadlines met and missed, operator waits.
var workbookContent = {
  version: 'Notebook/1.0'
  items: [
    {
      type: 1
      name: 'title'
      content: {
        json: '## Cordon — insider-risk response\nIncidents, containment, residual exposure, regulatory deadlines and operator waits, from the app\'s own telemetry (meter `Cordon`, incident traces).'
      }
    }
    {
      type: 3
      name: 'incidents-by-stage'
      content: {
        version: 'KqlItem/1.0'
        title: 'Incidents by stage (latest state of each incident, last 30 days)'
        query: 'traces | where timestamp > ago(30d) | extend incident = tostring(customDimensions.IncidentId) | where isnotempty(incident) | extend stage = extract(@"stage[ =:]+(\\w+)", 1, message) | where isnotempty(stage) | summarize arg_max(timestamp, stage) by incident | summarize incidents = count() by stage'
        size: 1
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: 'barchart'
      }
    }
    {
      type: 3
      name: 'time-to-contain'
      content: {
        version: 'KqlItem/1.0'
        title: 'Time to contain (s) per hour: mean and worst'
        query: 'customMetrics | where name == "cordon.time_to_contain" | summarize incidents = sum(valueCount), mean_s = sum(valueSum) / sum(valueCount), max_s = max(valueMax) by bin(timestamp, 1h) | render timechart'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: 'timechart'
      }
    }
    {
      type: 3
      name: 'exposure-windows'
      content: {
        version: 'KqlItem/1.0'
        title: 'Residual exposure window (s) per hour: already-issued credentials after containment'
        query: 'customMetrics | where name == "cordon.exposure_window_seconds" | summarize incidents = sum(valueCount), mean_s = sum(valueSum) / sum(valueCount), max_s = max(valueMax) by bin(timestamp, 1h) | render timechart'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: 'timechart'
      }
    }
    {
      type: 3
      name: 'deadlines'
      content: {
        version: 'KqlItem/1.0'
        title: 'Deadlines met and missed per day, by jurisdiction'
        query: 'let missed = customMetrics | where name == "cordon.deadlines.missed" | summarize missed = sum(valueSum) by jurisdiction = tostring(customDimensions.jurisdiction), day = bin(timestamp, 1d); let met = traces | where message has "notice sent" or message has "deadline met" | extend jurisdiction = extract(@"(GDPR|CERT-In|NYDFS|SEC|HIPAA|DPDP|contract)", 1, message) | summarize met = count() by jurisdiction, day = bin(timestamp, 1d); met | join kind=fullouter missed on jurisdiction, day | project day = coalesce(day, day1), jurisdiction = coalesce(jurisdiction, jurisdiction1), met = coalesce(met, 0), missed = coalesce(missed, 0.0) | order by day desc'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: 'table'
      }
    }
    {
      type: 3
      name: 'operator-waits'
      content: {
        version: 'KqlItem/1.0'
        title: 'Operator waits: incidents that asked for an operator, and gate decision latency'
        query: 'traces | where message startswith "Operator attention for" | project timestamp, incident = tostring(customDimensions.IncidentId), message | order by timestamp desc | take 100'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: 'table'
      }
    }
    {
      type: 3
      name: 'gate-latency'
      content: {
        version: 'KqlItem/1.0'
        title: 'Time from gate opened to decision (s), by gate and decision'
        query: 'customMetrics | where name == "cordon.gate.latency" | summarize decisions = sum(valueCount), mean_s = sum(valueSum) / sum(valueCount), max_s = max(valueMax) by gate = tostring(customDimensions.gate), decision = tostring(customDimensions.decision)'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: 'table'
      }
    }
  ]
  fallbackResourceIds: [
    appInsights.id
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'cordon-workbook', nameSuffix)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Cordon operations'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(workbookContent)
  }
}

output workbookId string = workbook.id
output actionGroupId string = operators.id
output alertRuleNames array = [for (rule, i) in rules: alertRules[i].name]
output deadLetterAlertName string = deadLetters.name
