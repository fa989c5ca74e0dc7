namespace Cordon.Access;

/// <summary>
/// The directory throttled a call (429, or 503/504 while busy). The adapter never waits that out inside the
/// activity: the activity fails with this, and the incident waits <see cref="RetryAfter"/> (the directory's
/// Retry-After; none: exponential back-off) on a durable timer before running the step again. Activity failures
/// cross the engine as type name and message, so the message carries the wait in a form <see cref="RetryAfterIn"/> reads back.
/// </summary>
public sealed class DirectoryThrottledException(string message, TimeSpan? retryAfter, Exception? innerException = null)
    : Exception(Cordon.World.ThrottleWait.Describe(message, retryAfter), innerException)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The Retry-After a failure message of this exception carries; null when it carries none.</summary>
    public static TimeSpan? RetryAfterIn(string? message) => Cordon.World.ThrottleWait.In(message);
}

/// <summary>What a directory account can currently reach.</summary>
public sealed record AccessSnapshot(
    string UserPrincipalName,
    bool Exists,
    bool AccountEnabled,
    IReadOnlyList<string> Groups,
    IReadOnlyList<string> Licences,
    IReadOnlyList<string> AppRoleAssignments);

/// <summary>
/// Outcome of revoking many accounts (vendor-site offboarding). Pending: accounts left because the directory
/// throttled, to be sent again after <see cref="RetryAfter"/>; the adapter never waits that out itself, so the
/// caller can wait on a durable timer.
/// </summary>
public sealed record BulkRevocationResult(int Accounts, int Revoked, int Requests, IReadOnlyList<string> Failed,
    IReadOnlyList<string>? Pending = null, TimeSpan? RetryAfter = null);

/// <summary>
/// The identity port: Microsoft Graph (Entra ID) in Azure, the simulated directory locally.
/// Every call is idempotent: removing what is gone or disabling what is disabled succeeds.
/// </summary>
public interface IAccessControl
{
    Task<AccessSnapshot> GetAccessAsync(string userPrincipalName, CancellationToken cancellationToken);

    Task RevokeSessionsAsync(string userPrincipalName, CancellationToken cancellationToken);

    Task SetAccountEnabledAsync(string userPrincipalName, bool enabled, CancellationToken cancellationToken);

    Task RemoveGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken);

    Task AddGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken);

    Task RemoveLicencesAsync(string userPrincipalName, IReadOnlyCollection<string> licences, CancellationToken cancellationToken);

    Task RemoveAppRoleAssignmentsAsync(string userPrincipalName, IReadOnlyCollection<string> assignments, CancellationToken cancellationToken);

    /// <summary>
    /// Revokes sessions and disables each account, batched and throttling-aware: when the directory throttles,
    /// it returns at once with the accounts left in <see cref="BulkRevocationResult.Pending"/> and how long to wait.
    /// </summary>
    Task<BulkRevocationResult> RevokeAccountsAsync(IReadOnlyList<string> userPrincipalNames, CancellationToken cancellationToken);
}
