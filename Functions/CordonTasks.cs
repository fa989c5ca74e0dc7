using Cordon.Approvals;
using Cordon.Containment;
using Cordon.Evidence;
using Cordon.Incidents;
using Cordon.Incidents.V1;
using Cordon.Monitoring;
using Cordon.Notification;
using Cordon.Offboarding;

namespace Cordon;

/// <summary>
/// Every orchestrator and activity of the workflow. The local host registers this list with its
/// Durable Task worker; the Functions host finds the same classes through their [Function] wrappers
/// (a test checks the two sets are equal).
/// </summary>
public static class CordonTasks
{
    public static IReadOnlyList<Type> Orchestrators { get; } = [typeof(RespondToIncident), typeof(RespondToIncidentV2)];

    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(TriageAlert), typeof(ContainSubject), typeof(RestoreAccess), typeof(RevokeAccess), typeof(AssignTraining),
        typeof(PreserveEvidence), typeof(PreserveMergedEvidence), typeof(SendApprovalRequests), typeof(SendDecisionReceipt), typeof(SendReminder), typeof(SendClientNotices),
        typeof(NotifyOperators), typeof(RecordConfirmedInsider), typeof(RevokeSiteBatch), typeof(NotifyVendor), typeof(WriteIncidentReport),
        typeof(PublishIncidentEvent), typeof(PublishIncidentEvents),
    ];

    public static DurableTaskRegistry AddCordonTasks(this DurableTaskRegistry registry)
    {
        foreach (Type t in Orchestrators)
        {
            registry.AddOrchestrator(t);
        }

        foreach (Type t in Activities)
        {
            registry.AddActivity(t);
        }

        return registry;
    }
}
