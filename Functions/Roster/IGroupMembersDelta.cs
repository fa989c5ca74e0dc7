namespace Cordon.Roster;

/// <summary>
/// The directory port of the roster: a group's membership as a delta query (Microsoft Graph in Azure, the
/// simulated directory locally). Reading one page has no effect; a throttled read throws
/// <see cref="DirectoryThrottledException"/> and an unknown link <see cref="DeltaLinkExpiredException"/>.
/// </summary>
public interface IGroupMembersDelta
{
    /// <summary>Reads one page: from the start of the group's membership when <paramref name="link"/> is null, else the next or delta link given before.</summary>
    Task<GroupMembersPage> ReadAsync(string groupId, string? link, CancellationToken cancellationToken);
}
