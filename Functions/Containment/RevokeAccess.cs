using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Containment;

/// <summary>
/// Confirmed insider: permanent revocation of every grant the account still holds. The grants found first are kept
/// write-once with the evidence before anything is removed, so a step run again (Durable Task runs a step at least once)
/// still records what was removed — it recorded "0 groups, 0 licences, 0 app roles" from the emptied account (found by an
/// attack) — and anything granted since is removed too.
/// </summary>
public sealed class RevokeAccess(IAccessControl access, IEvidenceStore evidence) : TaskActivity<RevokeRequest, RevocationRecord>
{
    internal const string GrantsItem = "revocation-grants.json";

    [Function(nameof(RevokeAccess))]
    public Task<RevocationRecord> Run([ActivityTrigger] RevokeRequest request) => RunAsync(ActivityContexts.For(nameof(RevokeAccess)), request);

    public override async Task<RevocationRecord> RunAsync(TaskActivityContext context, RevokeRequest request)
    {
        CancellationToken ct = CancellationToken.None;
        string upn = request.UserPrincipalName;
        AccessSnapshot now = await access.GetAccessAsync(upn, ct);
        RevocationRecord found = new(now.Groups, now.Licences, now.AppRoleAssignments);
        RevocationRecord first = await evidence.FirstAsync(request.IncidentId, GrantsItem, () => Task.FromResult(found),
            new CustodyNote("cordon/RevokeAccess", "grants held before revocation"));
        await access.RevokeSessionsAsync(upn, ct);
        await access.SetAccountEnabledAsync(upn, false, ct);
        if (now.Groups.Count > 0)
        {
            await access.RemoveGroupMembershipsAsync(upn, now.Groups, ct);
        }

        if (now.Licences.Count > 0)
        {
            await access.RemoveLicencesAsync(upn, now.Licences, ct);
        }

        if (now.AppRoleAssignments.Count > 0)
        {
            await access.RemoveAppRoleAssignmentsAsync(upn, now.AppRoleAssignments, ct);
        }

        return new RevocationRecord(Union(first.RemovedGroups, now.Groups), Union(first.RemovedLicences, now.Licences), Union(first.RemovedAppRoles, now.AppRoleAssignments));
    }

    static List<string> Union(IReadOnlyList<string> first, IReadOnlyList<string> now) => first.Union(now, StringComparer.OrdinalIgnoreCase).ToList();
}
