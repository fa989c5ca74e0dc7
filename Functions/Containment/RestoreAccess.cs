using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Containment;

/// <summary>False positive: put back exactly what containment removed, nothing more.</summary>
public sealed class RestoreAccess(IAccessControl access, IEvidenceStore evidence) : TaskActivity<ContainmentRecord, RestoreResult>
{
    [Function(nameof(RestoreAccess))]
    public Task<RestoreResult> Run([ActivityTrigger] ContainmentRecord record) => RunAsync(ActivityContexts.For(nameof(RestoreAccess)), record);

    public override async Task<RestoreResult> RunAsync(TaskActivityContext context, ContainmentRecord record)
    {
        CancellationToken ct = CancellationToken.None;
        if (record.RemovedGroups.Count > 0)
        {
            await access.AddGroupMembershipsAsync(record.UserPrincipalName, record.RemovedGroups, ct);
        }

        // An account that was already disabled before containment stays disabled.
        if (record.WasEnabled)
        {
            await access.SetAccountEnabledAsync(record.UserPrincipalName, true, ct);
        }

        await evidence.AppendCustodyAsync(record.IncidentId, "cordon/RestoreAccess", "access restored after false positive", ContainSubject.PlanItem, null, ct);
        return new RestoreResult(record.WasEnabled, record.RemovedGroups);
    }
}
