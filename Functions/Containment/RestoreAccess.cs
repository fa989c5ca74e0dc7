using System.Globalization;
using System.Text.Json;
using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Containment;

/// <summary>
/// False positive: put back exactly what containment removed, nothing more — once. The restore is recorded (an evidence
/// item per containment, with its custody entry) before the step returns, and a step that finds it recorded changes
/// nothing: Durable Task runs an activity at least once, and on Azure Storage a host killed after the step's result was
/// sent and before its message was deleted runs it again about 30 s later, when the incident may have contained the
/// person again (an alert during the restore) or closed and a new incident contained them. Run again then, the restore
/// gave the access back while that containment stood (found by an attack).
/// </summary>
public sealed class RestoreAccess(IAccessControl access, IEvidenceStore evidence) : TaskActivity<ContainmentRecord, RestoreResult>
{
    internal const string RestoredAction = "access restored after false positive";

    [Function(nameof(RestoreAccess))]
    public Task<RestoreResult> Run([ActivityTrigger] ContainmentRecord record) => RunAsync(ActivityContexts.For(nameof(RestoreAccess)), record);

    /// <summary>The record of one containment's restore: containments are told apart by when they were applied.</summary>
    internal static string RestoredItem(ContainmentRecord record) =>
        $"restored-{record.ContainedAt.ToUniversalTime().ToString("yyyyMMdd'T'HHmmssfffffff", CultureInfo.InvariantCulture)}.json";

    public override async Task<RestoreResult> RunAsync(TaskActivityContext context, ContainmentRecord record)
    {
        CancellationToken ct = CancellationToken.None;
        string item = RestoredItem(record);
        var note = new CustodyNote("cordon/RestoreAccess", RestoredAction);
        if (await evidence.FindAsync(record.IncidentId, item, "application/json", note, ct) is { } done)
        {
            return JsonSerializer.Deserialize<RestoreResult>(done, CordonJson.Options)!; // restored before: never again
        }

        if (record.RemovedGroups.Count > 0)
        {
            await access.AddGroupMembershipsAsync(record.UserPrincipalName, record.RemovedGroups, ct);
        }

        // An account that was already disabled before containment stays disabled.
        if (record.WasEnabled)
        {
            await access.SetAccountEnabledAsync(record.UserPrincipalName, true, ct);
        }

        // A run stopped between the changes and this record runs again before the incident moves on: the same changes, harmless.
        var result = new RestoreResult(record.WasEnabled, record.RemovedGroups);
        await evidence.PutAsync(record.IncidentId, item, JsonSerializer.SerializeToUtf8Bytes(result, CordonJson.Options), "application/json", note, ct);
        return result;
    }
}
