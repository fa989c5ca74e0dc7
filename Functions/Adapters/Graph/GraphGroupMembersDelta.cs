using Cordon.Adapters.Graph;
using Cordon.Roster;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Graph;
using Microsoft.Graph.DirectoryObjects.GetByIds;
using Microsoft.Graph.Groups.Delta;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace Cordon.Adapters.Graph;

/// <summary>
/// A group's membership from Microsoft Graph as a delta query: <c>GET /groups/delta?$filter=id eq '{id}'&amp;$select=members</c>,
/// paged with <c>@odata.nextLink</c> and resumed from <c>@odata.deltaLink</c> (the SDK has no builder for
/// <c>/groups/{id}/members/delta</c>; this is the documented route to a group's member changes). Each page's
/// <c>members@delta</c> lists member ids, removed ones marked <c>@removed</c>; the ids added are resolved to users with
/// <c>POST /directoryObjects/getByIds</c> (up to 1,000 per request). Non-user members (nested groups, devices) are
/// not agents and are skipped. Throttling (429, 503) surfaces as <see cref="DirectoryThrottledException"/> with the
/// Retry-After, and an expired link (410 Gone, or 400 with the code <c>syncStateNotFound</c>) as <see cref="DeltaLinkExpiredException"/>:
/// the caller keeps its place and decides when to come back. Requires GroupMember.Read.All and User.Read.All.
/// </summary>
public sealed class GraphGroupMembersDelta(GraphServiceClient graph, TimeProvider time) : IGroupMembersDelta
{
    const string MembersDelta = "members@delta";
    const string UserType = "#microsoft.graph.user";
    const int MaxIdsPerLookup = 1000;

    public async Task<GroupMembersPage> ReadAsync(string groupId, string? link, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(groupId, "D", out _))
        {
            throw new ArgumentException($"directory group id '{groupId}' is not a GUID", nameof(groupId));
        }

        DeltaGetResponse? page = await CallAsync(ct => link is null
            ? graph.Groups.Delta.GetAsDeltaGetResponseAsync(r =>
            {
                r.QueryParameters.Filter = $"id eq '{groupId}'";
                r.QueryParameters.Select = ["members"];
            }, ct)
            : graph.Groups.Delta.WithUrl(link).GetAsDeltaGetResponseAsync(cancellationToken: ct), $"group {groupId} members delta", cancellationToken);

        var addedIds = new List<string>();
        var removed = new List<string>();
        foreach (Group group in page?.Value ?? [])
        {
            if (group.AdditionalData.TryGetValue(MembersDelta, out object? value) && value is UntypedArray entries)
            {
                foreach (UntypedObject entry in entries.GetValue().OfType<UntypedObject>())
                {
                    IDictionary<string, UntypedNode> fields = entry.GetValue();
                    string? id = (fields.TryGetValue("id", out UntypedNode? idNode) ? idNode as UntypedString : null)?.GetValue();
                    string? type = (fields.TryGetValue("@odata.type", out UntypedNode? typeNode) ? typeNode as UntypedString : null)?.GetValue();
                    if (id is null || (type is not null && !string.Equals(type, UserType, StringComparison.OrdinalIgnoreCase)))
                    {
                        continue;
                    }

                    (fields.ContainsKey("@removed") ? removed : addedIds).Add(id);
                }
            }
        }

        IReadOnlyList<RosterMember> added = await UsersAsync(addedIds.Except(removed).Distinct().ToList(), cancellationToken);
        return new GroupMembersPage(added, removed, page?.OdataNextLink, page?.OdataDeltaLink);
    }

    /// <summary>The users behind member ids; an id that is no longer a user (deleted meanwhile) is left out.</summary>
    async Task<IReadOnlyList<RosterMember>> UsersAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var users = new List<RosterMember>();
        foreach (string[] chunk in ids.Chunk(MaxIdsPerLookup))
        {
            GetByIdsPostResponse? found = await CallAsync(ct => graph.DirectoryObjects.GetByIds.PostAsGetByIdsPostResponseAsync(
                new GetByIdsPostRequestBody { Ids = [.. chunk], Types = ["user"] }, cancellationToken: ct), "resolve group members", cancellationToken);
            users.AddRange((found?.Value ?? []).OfType<User>()
                .Where(u => u.Id is not null && !string.IsNullOrEmpty(u.UserPrincipalName))
                .Select(u => new RosterMember(u.Id!, u.UserPrincipalName!, u.DisplayName ?? "")));
        }

        return users;
    }

    async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (ApiException ex) when (GraphThrottling.IsTransient(ex.ResponseStatusCode))
        {
            string? retryAfter = ex.ResponseHeaders
                .FirstOrDefault(h => string.Equals(h.Key, GraphThrottling.RetryAfterHeader, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
            throw new DirectoryThrottledException(GraphThrottling.RetryAfter(retryAfter, time.GetUtcNow()),
                $"Graph {what} answered {ex.ResponseStatusCode}", ex);
        }
        catch (ApiException ex) when (Expired(ex))
        {
            throw new DeltaLinkExpiredException($"Graph {what}: the delta or page link has expired ({ex.ResponseStatusCode})", ex);
        }
    }

    /// <summary>
    /// The documented answers to a link the directory no longer knows: 410 Gone (delta query's synchronization reset), or
    /// 400 with the error code <c>syncStateNotFound</c> (an expired delta token of an identity resource such as groups).
    /// Nothing else: any 400 whose code merely contained "token" used to count, and started a full read for a bad request.
    /// </summary>
    static bool Expired(ApiException ex) => ex.ResponseStatusCode == 410
        || (ex.ResponseStatusCode == 400 && ex is Microsoft.Graph.Models.ODataErrors.ODataError { Error.Code: { } code }
            && string.Equals(code, SyncStateNotFound, StringComparison.OrdinalIgnoreCase));

    const string SyncStateNotFound = "syncStateNotFound";
}

public static class GraphGroupMembersDeltaServiceCollectionExtensions
{
    /// <summary>The roster's directory port on Microsoft Graph, over the one <see cref="GraphServiceClient"/> (register <c>AddCordonGraph</c> too).</summary>
    public static IServiceCollection AddCordonGraphGroupMembers(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<IGroupMembersDelta>();
        services.AddSingleton<IGroupMembersDelta, GraphGroupMembersDelta>();
        return services;
    }
}
