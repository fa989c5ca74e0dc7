using Cordon.Access;
using Cordon.Alerts;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.AssignLicense;
using Microsoft.Kiota.Abstractions;

namespace Cordon.Adapters.Graph;

/// <summary>
/// The identity port on Microsoft Graph v1.0 (Entra ID). Every call is idempotent: removing a
/// membership or assignment that is already gone, adding one that already exists, disabling a
/// disabled account and revoking sessions twice all succeed, so an activity re-run after a crash is
/// harmless. Nothing here waits for a throttle: a throttled single call (429/503/504) fails with
/// <see cref="DirectoryThrottledException"/> carrying <c>Retry-After</c>, and the bulk fan-out hands throttled
/// items back as pending with theirs; the incident waits either out on a durable timer.
/// </summary>
public sealed partial class GraphAccessControl(
    GraphServiceClient graph,
    IOptions<GraphOptions> options,
    TimeProvider time,
    ILogger<GraphAccessControl> logger) : IAccessControl
{
    readonly GraphOptions settings = options.Value;

    public async Task<AccessSnapshot> GetAccessAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        User? user;
        try
        {
            user = await RunAsync(ct => graph.Users[userPrincipalName].GetAsync(r =>
                r.QueryParameters.Select = ["id", "userPrincipalName", "accountEnabled", "assignedLicenses"], ct), "read account", userPrincipalName, cancellationToken);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            return new AccessSnapshot(userPrincipalName, false, false, [], [], []);
        }

        if (user is null || (user.UserPrincipalName is { } exact && !SubjectIdentity.Same(exact, userPrincipalName)))
        {
            // Never another account than the one asked for, whatever the directory matched on.
            return new AccessSnapshot(userPrincipalName, false, false, [], [], []);
        }

        List<string> groups = await ReadGroupsAsync(userPrincipalName, cancellationToken);
        List<string> assignments = await ReadAppRoleAssignmentsAsync(userPrincipalName, cancellationToken);
        var licences = (user.AssignedLicenses ?? []).Where(l => l.SkuId is not null).Select(l => l.SkuId!.Value.ToString()).ToList();
        return new AccessSnapshot(user.UserPrincipalName ?? userPrincipalName, true, user.AccountEnabled ?? false, groups, licences, assignments);
    }

    public async Task RevokeSessionsAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        try
        {
            await RunAsync(ct => graph.Users[userPrincipalName].RevokeSignInSessions.PostAsRevokeSignInSessionsPostResponseAsync(cancellationToken: ct),
                "revoke sign-in sessions", userPrincipalName, cancellationToken);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            throw NotFound(userPrincipalName, ex);
        }
    }

    public async Task SetAccountEnabledAsync(string userPrincipalName, bool enabled, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        try
        {
            await RunAsync(ct => graph.Users[userPrincipalName].PatchAsync(new User { AccountEnabled = enabled }, cancellationToken: ct),
                enabled ? "enable account" : "disable account", userPrincipalName, cancellationToken);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            throw NotFound(userPrincipalName, ex);
        }
    }

    public async Task RemoveGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        if (groups.Count == 0)
        {
            return;
        }

        string? userId = await FindUserIdAsync(userPrincipalName, cancellationToken);
        if (userId is null)
        {
            // A deleted account is a member of nothing: the removal's goal already holds.
            logger.LogWarning("Graph: {Subject} not found; no group memberships to remove", userPrincipalName);
            return;
        }

        foreach (string group in groups.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            try
            {
                await RunAsync(ct => graph.Groups[group].Members[userId].Ref.DeleteAsync(cancellationToken: ct),
                    "remove group membership", userPrincipalName, cancellationToken);
            }
            catch (ODataError ex) when (ex.ResponseStatusCode == 404)
            {
                logger.LogInformation("Graph: {Subject} was not a member of {Group} (already removed)", userPrincipalName, group);
            }
        }
    }

    public async Task AddGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        if (groups.Count == 0)
        {
            return;
        }

        string userId = await FindUserIdAsync(userPrincipalName, cancellationToken) ?? throw NotFound(userPrincipalName, null);
        string reference = $"{settings.BaseUri.ToString().TrimEnd('/')}/directoryObjects/{userId}";
        foreach (string group in groups.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            try
            {
                await RunAsync(ct => graph.Groups[group].Members.Ref.PostAsync(new ReferenceCreate { OdataId = reference }, cancellationToken: ct),
                    "add group membership", userPrincipalName, cancellationToken);
            }
            catch (ODataError ex) when (ex.ResponseStatusCode == 400 && IsAlreadyMember(ex))
            {
                logger.LogInformation("Graph: {Subject} already a member of {Group}", userPrincipalName, group);
            }
        }
    }

    public async Task RemoveLicencesAsync(string userPrincipalName, IReadOnlyCollection<string> licences, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        List<Guid> skus = licences.Select(ParseSku).Distinct().ToList();
        if (skus.Count == 0)
        {
            return;
        }

        try
        {
            await AssignLicenceRemovalAsync(userPrincipalName, skus, cancellationToken);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            logger.LogWarning("Graph: {Subject} not found; no licences to remove", userPrincipalName);
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 400)
        {
            // assignLicense refuses the whole call when one SKU is no longer assigned (a re-run after a
            // crash) or is inherited from a group (it leaves with the membership). Remove what is still
            // directly assigned; if nothing is, the goal already holds.
            List<Guid> remaining = await DirectlyAssignedAsync(userPrincipalName, skus, cancellationToken);
            if (remaining.Count == 0)
            {
                logger.LogInformation("Graph: licences of {Subject} already removed or not directly assigned ({Error})", userPrincipalName, ErrorText(ex));
                return;
            }

            await AssignLicenceRemovalAsync(userPrincipalName, remaining, cancellationToken);
        }
    }

    public async Task RemoveAppRoleAssignmentsAsync(string userPrincipalName, IReadOnlyCollection<string> assignments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userPrincipalName);
        userPrincipalName = Address(userPrincipalName);
        foreach (string assignment in assignments.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await RunAsync(ct => graph.Users[userPrincipalName].AppRoleAssignments[assignment].DeleteAsync(cancellationToken: ct),
                    "remove app role assignment", userPrincipalName, cancellationToken);
            }
            catch (ODataError ex) when (ex.ResponseStatusCode == 404)
            {
                logger.LogInformation("Graph: app role assignment {Assignment} of {Subject} already removed", assignment, userPrincipalName);
            }
        }
    }

    async Task AssignLicenceRemovalAsync(string userPrincipalName, List<Guid> skus, CancellationToken cancellationToken) =>
        await RunAsync(ct => graph.Users[userPrincipalName].AssignLicense.PostAsync(
                new AssignLicensePostRequestBody { AddLicenses = [], RemoveLicenses = skus.Select(s => (Guid?)s).ToList() }, cancellationToken: ct),
            "remove licences", userPrincipalName, cancellationToken);

    async Task<List<Guid>> DirectlyAssignedAsync(string userPrincipalName, List<Guid> wanted, CancellationToken cancellationToken)
    {
        User? user = await RunAsync(ct => graph.Users[userPrincipalName].GetAsync(r =>
            r.QueryParameters.Select = ["id", "licenseAssignmentStates"], ct), "read licence assignments", userPrincipalName, cancellationToken);
        var direct = (user?.LicenseAssignmentStates ?? [])
            .Where(s => s.SkuId is not null && string.IsNullOrEmpty(s.AssignedByGroup))
            .Select(s => s.SkuId!.Value)
            .ToHashSet();
        return wanted.Where(direct.Contains).ToList();
    }

    async Task<string?> FindUserIdAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        try
        {
            User? user = await RunAsync(ct => graph.Users[userPrincipalName].GetAsync(r => r.QueryParameters.Select = ["id"], ct),
                "resolve account id", userPrincipalName, cancellationToken);
            return user?.Id;
        }
        catch (ODataError ex) when (ex.ResponseStatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Direct group memberships Cordon can change. Memberships Graph refuses to edit — dynamic groups
    /// (membership follows a rule), groups mastered on-premises, distribution lists and mail-enabled
    /// security groups (Exchange-managed) — are logged and left out, so removal and restore never
    /// promise what the directory will not do.
    /// </summary>
    async Task<List<string>> ReadGroupsAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        var unmanageable = new List<string>();
        GroupCollectionResponse? page = await RunAsync(ct => graph.Users[userPrincipalName].MemberOf.GraphGroup.GetAsync(r =>
        {
            r.QueryParameters.Select = ["id", "groupTypes", "mailEnabled", "securityEnabled", "onPremisesSyncEnabled"];
            r.QueryParameters.Top = 999;
        }, ct), "read group memberships", userPrincipalName, cancellationToken);
        while (page is not null)
        {
            foreach (Group g in page.Value ?? [])
            {
                if (g.Id is null)
                {
                    continue;
                }

                bool dynamic = g.GroupTypes?.Contains("DynamicMembership", StringComparer.OrdinalIgnoreCase) == true;
                bool unified = g.GroupTypes?.Contains("Unified", StringComparer.OrdinalIgnoreCase) == true;
                bool exchangeManaged = g.MailEnabled == true && !unified;
                (dynamic || g.OnPremisesSyncEnabled == true || exchangeManaged ? unmanageable : ids).Add(g.Id);
            }

            string? next = page.OdataNextLink;
            page = string.IsNullOrEmpty(next) ? null : await RunAsync(ct => graph.Users[userPrincipalName].MemberOf.GraphGroup.WithUrl(next).GetAsync(cancellationToken: ct),
                "read group memberships", userPrincipalName, cancellationToken);
        }

        if (unmanageable.Count > 0)
        {
            logger.LogWarning("Graph: {Subject} is in {Count} groups whose membership Graph cannot change (dynamic, on-premises or Exchange-managed): {Groups}",
                userPrincipalName, unmanageable.Count, string.Join(", ", unmanageable));
        }

        return ids;
    }

    async Task<List<string>> ReadAppRoleAssignmentsAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        AppRoleAssignmentCollectionResponse? page = await RunAsync(ct => graph.Users[userPrincipalName].AppRoleAssignments.GetAsync(r =>
            r.QueryParameters.Select = ["id"], ct), "read app role assignments", userPrincipalName, cancellationToken);
        while (page is not null)
        {
            ids.AddRange((page.Value ?? []).Where(a => a.Id is not null).Select(a => a.Id!));
            string? next = page.OdataNextLink;
            page = string.IsNullOrEmpty(next) ? null : await RunAsync(ct => graph.Users[userPrincipalName].AppRoleAssignments.WithUrl(next).GetAsync(cancellationToken: ct),
                "read app role assignments", userPrincipalName, cancellationToken);
        }

        return ids;
    }

    /// <summary>
    /// One Graph call, never waited out here: a throttled answer (429/503/504) becomes <see cref="DirectoryThrottledException"/>
    /// with the directory's Retry-After, and a transport failure fails the call, so the incident retries the step after a
    /// durable timer (no activity holds its message while it sleeps).
    /// </summary>
    async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, string what, string subject, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (ApiException ex) when (GraphThrottling.IsTransient(ex.ResponseStatusCode))
        {
            TimeSpan? wait = RetryAfter(ex) is { } after ? GraphThrottling.Cap(settings, after) : null;
            logger.LogWarning("Graph {What} for {Subject} answered {Status}; handed back to wait {Wait} on a durable timer", what, subject, ex.ResponseStatusCode, wait);
            throw new DirectoryThrottledException($"Graph {what} for {subject} answered {ex.ResponseStatusCode}", wait, ex);
        }
    }

    async Task RunAsync(Func<CancellationToken, Task> call, string what, string subject, CancellationToken cancellationToken) =>
        await RunAsync(async ct =>
        {
            await call(ct);
            return true;
        }, what, subject, cancellationToken);

    TimeSpan? RetryAfter(ApiException ex)
    {
        foreach (KeyValuePair<string, IEnumerable<string>> header in ex.ResponseHeaders)
        {
            if (string.Equals(header.Key, GraphThrottling.RetryAfterHeader, StringComparison.OrdinalIgnoreCase))
            {
                return GraphThrottling.RetryAfter(header.Value.FirstOrDefault(), time.GetUtcNow());
            }
        }

        return null;
    }

    static bool IsAlreadyMember(ODataError ex) =>
        ErrorText(ex).Contains("already exist", StringComparison.OrdinalIgnoreCase);

    static string ErrorText(ODataError ex) => ex.Error?.Message ?? ex.Message;

    static Guid ParseSku(string licence) => Guid.TryParse(licence, out Guid sku)
        ? sku
        : throw new ArgumentException($"licence '{licence}' is not a Graph skuId (GUID)", nameof(licence));

    /// <summary>
    /// How an account is addressed: its canonical identity (NFKC + case folding). Entra UPNs are matched
    /// case-insensitively, so every spelling of an account (e.g. a Kelvin sign for K) reaches that account.
    /// </summary>
    static string Address(string userPrincipalName) => SubjectIdentity.Canonical(userPrincipalName);

    static InvalidOperationException NotFound(string userPrincipalName, Exception? inner) =>
        new($"account {userPrincipalName} does not exist in the directory", inner);
}
