using Cordon.Approvals;
using Cordon.Containment;
using Cordon.Evidence;
using Cordon.Incidents;
using Cordon.Monitoring;
using Cordon.Notification;
using Cordon.Offboarding;
using Microsoft.DurableTask;

namespace Cordon;

/// <summary>
/// Every orchestrator and activity of the workflow. The local host registers this list with its
/// Durable Task worker; the Functions host finds the same classes through their [Function] wrappers
/// (a test checks the two sets are equal).
/// </summary>
public static class CordonTasks
{
    public static DurableTaskRegistry AddCordonTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<RespondToIncident>()
        .AddActivity<TriageAlert>()
        .AddActivity<ContainSubject>()
        .AddActivity<RestoreAccess>()
        .AddActivity<RevokeAccess>()
        .AddActivity<AssignTraining>()
        .AddActivity<PreserveEvidence>()
        .AddActivity<SendApprovalRequests>()
        .AddActivity<SendReminder>()
        .AddActivity<SendClientNotices>()
        .AddActivity<NotifyOperators>()
        .AddActivity<RecordConfirmedInsider>()
        .AddActivity<RevokeSiteBatch>()
        .AddActivity<NotifyVendor>()
        .AddActivity<WriteIncidentReport>();
}
