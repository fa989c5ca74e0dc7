using Cordon.Access;

namespace Cordon.Containment;

/// <summary>Confirmed insider: permanent revocation of every grant the account still holds.</summary>
public sealed class RevokeAccess(IAccessControl access) : TaskActivity<RevokeRequest, RevocationRecord>
{
    [Function(nameof(RevokeAccess))]
    public Task<RevocationRecord> Run([ActivityTrigger] RevokeRequest request) => RunAsync(ActivityContexts.For(nameof(RevokeAccess)), request);

    public override async Task<RevocationRecord> RunAsync(TaskActivityContext context, RevokeRequest request)
    {
        CancellationToken ct = CancellationToken.None;
        string upn = request.UserPrincipalName;
        AccessSnapshot snapshot = await access.GetAccessAsync(upn, ct);
        await access.RevokeSessionsAsync(upn, ct);
        await access.SetAccountEnabledAsync(upn, false, ct);
        if (snapshot.Groups.Count > 0)
        {
            await access.RemoveGroupMembershipsAsync(upn, snapshot.Groups, ct);
        }

        if (snapshot.Licences.Count > 0)
        {
            await access.RemoveLicencesAsync(upn, snapshot.Licences, ct);
        }

        if (snapshot.AppRoleAssignments.Count > 0)
        {
            await access.RemoveAppRoleAssignmentsAsync(upn, snapshot.AppRoleAssignments, ct);
        }

        return new RevocationRecord(snapshot.Groups, snapshot.Licences, snapshot.AppRoleAssignments);
    }
}
