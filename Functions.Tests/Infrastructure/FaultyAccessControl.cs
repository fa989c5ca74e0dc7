using Cordon.Access;

namespace Cordon.Tests;

public sealed class FaultSwitch
{
    public volatile bool Failing;
}

/// <summary>A directory outage: every write fails while the switch is on (reads still work).</summary>
public sealed class FaultyAccessControl(IAccessControl inner, FaultSwitch faults) : IAccessControl
{
    Task Check() => faults.Failing ? throw new HttpRequestException("directory unavailable (503)") : Task.CompletedTask;

    public Task<AccessSnapshot> GetAccessAsync(string upn, CancellationToken ct) => inner.GetAccessAsync(upn, ct);

    public async Task RevokeSessionsAsync(string upn, CancellationToken ct) { await Check(); await inner.RevokeSessionsAsync(upn, ct); }

    public async Task SetAccountEnabledAsync(string upn, bool enabled, CancellationToken ct) { await Check(); await inner.SetAccountEnabledAsync(upn, enabled, ct); }

    public async Task RemoveGroupMembershipsAsync(string upn, IReadOnlyCollection<string> groups, CancellationToken ct) { await Check(); await inner.RemoveGroupMembershipsAsync(upn, groups, ct); }

    public async Task AddGroupMembershipsAsync(string upn, IReadOnlyCollection<string> groups, CancellationToken ct) { await Check(); await inner.AddGroupMembershipsAsync(upn, groups, ct); }

    public async Task RemoveLicencesAsync(string upn, IReadOnlyCollection<string> licences, CancellationToken ct) { await Check(); await inner.RemoveLicencesAsync(upn, licences, ct); }

    public async Task RemoveAppRoleAssignmentsAsync(string upn, IReadOnlyCollection<string> assignments, CancellationToken ct) { await Check(); await inner.RemoveAppRoleAssignmentsAsync(upn, assignments, ct); }

    public async Task<BulkRevocationResult> RevokeAccountsAsync(IReadOnlyList<string> upns, CancellationToken ct) { await Check(); return await inner.RevokeAccountsAsync(upns, ct); }
}
