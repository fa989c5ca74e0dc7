using Cordon.Configuration;
using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Roster;

/// <summary>
/// A site's accounts, as offboarding and counts see them: the roster synced from the site's directory group when
/// the site names one and a sync of that group has finished; otherwise the agents the world lists (local use, tests,
/// sites without a group). A synced group with no user members counts as no roster (and the sync warns).
/// </summary>
public sealed class SiteRoster(IRosterStore store, LiveConfiguration configuration)
{
    /// <summary>The synced roster of a site, or null when the site names no group or its first sync has not finished.</summary>
    async Task<RosterCheckpoint?> SyncedAsync(string siteId, CancellationToken cancellationToken)
    {
        if (configuration.Current.World.FindSite(siteId) is not { Site.DirectoryGroupId: { } group })
        {
            return null;
        }

        RosterCheckpoint? checkpoint = await store.GetCheckpointAsync(siteId, cancellationToken);
        // An empty roster is not believed: a mistyped group id must not make offboarding revoke nobody.
        return checkpoint is { CompletedAt: not null, Members: > 0 } && checkpoint.GroupId == group ? checkpoint : null;
    }

    /// <summary>How many accounts the site has.</summary>
    public async Task<int> CountAsync(string siteId, CancellationToken cancellationToken) =>
        await SyncedAsync(siteId, cancellationToken) is { } synced
            ? synced.Members
            : configuration.Current.World.FindSite(siteId)?.Site.AgentCount ?? 0;

    /// <summary>The user principal names of the site's accounts, in a stable order: its synced roster, else the world's agents.</summary>
    public async Task<IReadOnlyList<string>> AccountsAsync(string siteId, CancellationToken cancellationToken)
    {
        if (await SyncedAsync(siteId, cancellationToken) is not null)
        {
            return (await store.ListAsync(siteId, cancellationToken)).Select(m => m.UserPrincipalName).ToList();
        }

        Site site = configuration.Current.World.FindSite(siteId)?.Site ?? throw new InvalidOperationException($"site {siteId} is not in the world");
        return site.AllAgents().Select(a => a.UserPrincipalName).ToList();
    }

    /// <summary>Whether the subject is on the synced roster of the site; null when the site has none.</summary>
    public async Task<RosterCheck?> CheckAsync(string siteId, string userPrincipalName, CancellationToken cancellationToken)
    {
        if (await SyncedAsync(siteId, cancellationToken) is not { } checkpoint)
        {
            return null;
        }

        bool on = await store.FindAsync(siteId, userPrincipalName, cancellationToken) is not null;
        return new RosterCheck(checkpoint.GroupId, on, checkpoint.CompletedAt!.Value, checkpoint.Members);
    }
}
