namespace Cordon.Roster;

/// <summary>The roster's storage: one entry per member per site, and the site's sync checkpoint (Azure Tables in Azure, memory locally).</summary>
public interface IRosterStore
{
    Task<RosterCheckpoint?> GetCheckpointAsync(string siteId, CancellationToken cancellationToken);

    Task SaveCheckpointAsync(RosterCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>Adds or replaces members, marking them seen in <paramref name="generation"/>.</summary>
    Task UpsertAsync(string siteId, IReadOnlyList<RosterMember> members, long generation, CancellationToken cancellationToken);

    /// <summary>Removes members by id; an id not on the roster is ignored.</summary>
    Task RemoveAsync(string siteId, IReadOnlyList<string> memberIds, CancellationToken cancellationToken);

    /// <summary>Removes members last seen before <paramref name="generation"/> (after a full sync); returns how many.</summary>
    Task<int> RemoveUnseenAsync(string siteId, long generation, CancellationToken cancellationToken);

    /// <summary>The site's members in a stable order (by id).</summary>
    Task<IReadOnlyList<RosterMember>> ListAsync(string siteId, CancellationToken cancellationToken);

    /// <summary>The member with this user principal name (any spelling of it), if on the roster.</summary>
    Task<RosterMember?> FindAsync(string siteId, string userPrincipalName, CancellationToken cancellationToken);
}
