namespace Cordon.Roster;

/// <summary>One user of a site's directory group, as the roster keeps it. Id: the directory object id.</summary>
public sealed record RosterMember(string Id, string UserPrincipalName, string DisplayName);

/// <summary>
/// One page of a group's membership changes: members added (resolved to users), member ids removed, and either
/// the link to the next page or, on the last page, the delta link the next sync resumes from.
/// </summary>
public sealed record GroupMembersPage(IReadOnlyList<RosterMember> Added, IReadOnlyList<string> Removed, string? NextLink, string? DeltaLink);

/// <summary>
/// Where a site's sync stands, stored beside its roster. NextLink: the page to read next (a sync under way, kept
/// across runs); DeltaLink: where the next sync starts once the last one finished. Generation counts full syncs:
/// members not seen in the latest full sync are swept when it ends (once its last page handed over a delta link).
/// FullSync: a full read is under way (the first one of a newly named group, or a re-read after an expired link; the
/// latter keeps the CompletedAt and Members of the last finished sync). CompletedAt: the last finished sync of this
/// group (none while the first one of a newly named group runs). NotBefore: the directory asked to wait until then, or
/// a failed sync backs off until then. Members: how many the roster held when the last sync finished.
/// </summary>
public sealed record RosterCheckpoint(
    string SiteId,
    string GroupId,
    string? NextLink,
    string? DeltaLink,
    long Generation,
    bool FullSync,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? NotBefore = null,
    int Members = 0);

/// <summary>
/// What the roster says about an alert's subject, carried in the incident's plan. OnRoster false: the subject is
/// not a member of the site's directory group as of <paramref name="SyncedAt"/>; the incident is flagged, not refused.
/// </summary>
public sealed record RosterCheck(string GroupId, bool OnRoster, DateTimeOffset SyncedAt, int Members);

/// <summary>The directory asked Cordon to slow down (429/503): nothing of the page was applied; try again after <see cref="RetryAfter"/>.</summary>
public sealed class DirectoryThrottledException(TimeSpan? retryAfter, string message, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The directory no longer knows the delta or page link (expired sync state): the sync starts again from a full read.</summary>
public sealed class DeltaLinkExpiredException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The site's synced roster cannot be trusted right now: its stored list disagrees with the checkpoint of the last finished
/// sync (no members while it counted some, or another count once no sync is under way). A step that needs the site's
/// accounts fails and is retried (the next sync settles it) rather than acting on the list.
/// </summary>
public sealed class RosterUnsettledException(string message) : InvalidOperationException(message);
