using Cordon.Configuration;
using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Roster;

/// <summary>
/// A site's accounts, as offboarding and counts see them: the roster synced from the site's directory group when
/// the site names one and a sync of that group has finished; otherwise the agents the world lists (local use, tests,
/// sites without a group). A synced group with no user members counts as no roster (and the sync warns). While a
/// full re-read runs (an expired delta link), the roster is the last finished sync's members plus those the re-read
/// has seen: nobody leaves it until the re-read ends with a delta link. A stored list that disagrees with the checkpoint
/// (none while it counted members, or another count once no sync is under way) is not trusted: the accounts are refused
/// (<see cref="RosterUnsettledException"/>), the count is the checkpoint's, and nobody is flagged "not on roster".
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

    /// <summary>
    /// Whether the stored list can stand for the checkpoint: never empty while the last finished sync counted members (found
    /// by an attack: a re-read swept everyone, kept the old checkpoint, and offboarding revoked nobody); and, once no sync is
    /// under way, exactly as many as it counted. A sync under way (a next link, or a full re-read) changes the list page by page.
    /// </summary>
    static bool Settled(RosterCheckpoint checkpoint, int listed) =>
        listed > 0 && (checkpoint.NextLink is not null || checkpoint.FullSync || listed == checkpoint.Members);

    /// <summary>How many accounts the site has (a roster not settled counts as its last finished sync did).</summary>
    public async Task<int> CountAsync(string siteId, CancellationToken cancellationToken) =>
        await SyncedAsync(siteId, cancellationToken) is { } synced
            ? synced.Members
            : configuration.Current.World.FindSite(siteId)?.Site.AgentCount ?? 0;

    /// <summary>
    /// The user principal names of the site's accounts, in a stable order: its synced roster, else the world's agents.
    /// Throws <see cref="RosterUnsettledException"/> when the synced roster disagrees with its checkpoint.
    /// </summary>
    public async Task<IReadOnlyList<string>> AccountsAsync(string siteId, CancellationToken cancellationToken)
    {
        if (await SyncedAsync(siteId, cancellationToken) is { } synced)
        {
            IReadOnlyList<RosterMember> members = await store.ListAsync(siteId, cancellationToken);
            return Settled(synced, members.Count)
                ? members.Select(m => m.UserPrincipalName).ToList()
                : throw new RosterUnsettledException($"the roster of site {siteId} lists {members.Count} accounts but its last finished sync " +
                    $"of group {synced.GroupId} counted {synced.Members}{(synced.NextLink is null && !synced.FullSync ? "" : " (a sync is under way)")}; " +
                    "its accounts are not used until a sync settles it");
        }

        Site site = configuration.Current.World.FindSite(siteId)?.Site ?? throw new InvalidOperationException($"site {siteId} is not in the world");
        return site.AllAgents().Select(a => a.UserPrincipalName).ToList();
    }

    /// <summary>Whether the subject is on the synced roster of the site; null when the site has none, or when its roster is not settled.</summary>
    public async Task<RosterCheck?> CheckAsync(string siteId, string userPrincipalName, CancellationToken cancellationToken)
    {
        if (await SyncedAsync(siteId, cancellationToken) is not { } checkpoint)
        {
            return null;
        }

        bool on = await store.FindAsync(siteId, userPrincipalName, cancellationToken) is not null;
        // Only a subject not found is a claim worth checking the list for (a roster emptied by mistake flagged everyone).
        if (!on && !Settled(checkpoint, (await store.ListAsync(siteId, cancellationToken)).Count))
        {
            return null;
        }

        return new RosterCheck(checkpoint.GroupId, on, checkpoint.CompletedAt!.Value, checkpoint.Members);
    }
}
