namespace Cordon.Roster;

/// <summary>The roster in memory: the default of the local host (one process, the simulated directory re-read at start).</summary>
public sealed class MemoryRosterStore : IRosterStore
{
    readonly Lock gate = new();
    readonly Dictionary<string, RosterCheckpoint> checkpoints = new(StringComparer.Ordinal);
    readonly Dictionary<string, SortedDictionary<string, (RosterMember Member, long Generation)>> sites = new(StringComparer.Ordinal);

    public Task<RosterCheckpoint?> GetCheckpointAsync(string siteId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(checkpoints.GetValueOrDefault(siteId));
        }
    }

    public Task SaveCheckpointAsync(RosterCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            checkpoints[checkpoint.SiteId] = checkpoint;
        }

        return Task.CompletedTask;
    }

    public Task UpsertAsync(string siteId, IReadOnlyList<RosterMember> members, long generation, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var site = Site(siteId);
            foreach (RosterMember m in members)
            {
                site[m.Id] = (m, generation);
            }
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(string siteId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var site = Site(siteId);
            foreach (string id in memberIds)
            {
                site.Remove(id);
            }
        }

        return Task.CompletedTask;
    }

    public Task<int> RemoveUnseenAsync(string siteId, long generation, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var site = Site(siteId);
            var unseen = site.Where(e => e.Value.Generation < generation).Select(e => e.Key).ToList();
            unseen.ForEach(id => site.Remove(id));
            return Task.FromResult(unseen.Count);
        }
    }

    public Task<IReadOnlyList<RosterMember>> ListAsync(string siteId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<RosterMember>>(Site(siteId).Values.Select(e => e.Member).ToList());
        }
    }

    public Task<RosterMember?> FindAsync(string siteId, string userPrincipalName, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(Site(siteId).Values.Select(e => e.Member)
                .FirstOrDefault(m => SubjectIdentity.Same(m.UserPrincipalName, userPrincipalName)));
        }
    }

    SortedDictionary<string, (RosterMember Member, long Generation)> Site(string siteId)
    {
        if (!sites.TryGetValue(siteId, out var site))
        {
            sites[siteId] = site = new SortedDictionary<string, (RosterMember Member, long Generation)>(StringComparer.Ordinal);
        }

        return site;
    }
}
