using System.Collections.Concurrent;
using Azure.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cordon.Tests.Roster;

/// <summary>
/// Microsoft Graph at the wire for the roster: <c>GET /v1.0/groups/delta</c> (the first request with
/// <c>$filter=id eq '…'&amp;$select=members</c>, then the <c>$skiptoken</c> / <c>$deltatoken</c> links it handed out)
/// answering <c>members@delta</c> pages, and <c>POST /v1.0/directoryObjects/getByIds</c> resolving users. Kestrel on
/// 127.0.0.1 and a free port; records every request; can answer a page 429 with Retry-After, 410 for an expired link, or any error.
/// </summary>
public sealed class GraphGroupDeltaFake
{
    public const string Initial = "";
    readonly ConcurrentDictionary<string, (string[] Added, string[] Removed, string? Next, string? Delta)> pages = new();
    readonly ConcurrentDictionary<string, int> throttle = new();
    readonly ConcurrentDictionary<string, bool> expired = new();
    readonly ConcurrentDictionary<string, (int Status, string Code)> failures = new();
    readonly List<string> requests = [];
    WebApplication? app;

    /// <summary>Users getByIds knows, by object id.</summary>
    public ConcurrentDictionary<string, (string Upn, string Name)> Users { get; } = new();

    /// <summary>Also answered in every page: a nested group, which is not an agent.</summary>
    public string? NestedGroupMember { get; set; }

    public string Root { get; private set; } = "";

    public string GraphBase => Root + "/v1.0";

    /// <summary>Each request as "METHOD /path?query" (query decoded).</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (requests)
            {
                return [.. requests];
            }
        }
    }

    public string NextLink(string token) => $"{GraphBase}/groups/delta?$skiptoken={token}";

    public string DeltaLink(string token) => $"{GraphBase}/groups/delta?$deltatoken={token}";

    /// <summary>The page answered for a token (<see cref="Initial"/>: the first request); next or delta names the following token.</summary>
    public void Page(string token, string[] added, string[]? removed = null, string? next = null, string? delta = null) =>
        pages[token] = (added, removed ?? [], next, delta);

    public void ThrottleOnce(string token, int retryAfterSeconds) => throttle[token] = retryAfterSeconds;

    public void Expire(string token) => expired[token] = true;

    /// <summary>Answers every request for the token with this error (status and OData error code).</summary>
    public void Fail(string token, int status, string code) => failures[token] = (status, code);

    public void User(string id, string upn, string name = "") => Users[id] = (upn, name);

    public async Task StartAsync()
    {
        (app, Root) = await LoopbackServer.StartAsync(HandleAsync);
    }

    async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        using var reader = new StreamReader(request.Body);
        string body = await reader.ReadToEndAsync(context.RequestAborted);
        lock (requests)
        {
            requests.Add($"{request.Method} {request.Path}{Uri.UnescapeDataString(request.QueryString.Value ?? "")}");
        }

        if (!request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            await Error(context, 401, "InvalidAuthenticationToken", "no bearer token");
            return;
        }

        if (request.Method == "GET" && request.Path.Value is "/v1.0/groups/delta" or "/v1.0/groups/delta()") // the SDK calls the function as delta()
        {
            string token = request.Query["$skiptoken"].FirstOrDefault() ?? request.Query["$deltatoken"].FirstOrDefault() ?? Initial;
            if (token == Initial && (request.Query["$filter"].FirstOrDefault() is not { } filter || !filter.StartsWith("id eq '", StringComparison.Ordinal)
                || request.Query["$select"].FirstOrDefault() != "members"))
            {
                await Error(context, 400, "Request_BadRequest", "expected $filter=id eq '<group>' and $select=members");
                return;
            }

            if (throttle.TryRemove(token, out int seconds))
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Error(context, 429, "TooManyRequests", "Too many requests");
                return;
            }

            if (failures.TryGetValue(token, out var failure))
            {
                await Error(context, failure.Status, failure.Code, $"answered {failure.Status} {failure.Code} for '{token}'");
                return;
            }

            if (expired.ContainsKey(token))
            {
                await Error(context, 410, "syncStateNotFound", "the delta token has expired: start a full sync");
                return;
            }

            if (!pages.TryGetValue(token, out var page))
            {
                await Error(context, 400, "Request_BadRequest", $"unknown token '{token}'");
                return;
            }

            var members = new JsonArray();
            foreach (string id in page.Added)
            {
                members.Add(new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = id });
            }

            if (NestedGroupMember is not null)
            {
                members.Add(new JsonObject { ["@odata.type"] = "#microsoft.graph.group", ["id"] = NestedGroupMember });
            }

            foreach (string id in page.Removed)
            {
                members.Add(new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = id, ["@removed"] = new JsonObject { ["reason"] = "deleted" } });
            }

            var answer = new JsonObject
            {
                ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#groups(members)",
                ["value"] = new JsonArray(new JsonObject { ["id"] = "the-group", ["members@delta"] = members }),
            };
            if (page.Next is not null)
            {
                answer["@odata.nextLink"] = NextLink(page.Next);
            }

            if (page.Delta is not null)
            {
                answer["@odata.deltaLink"] = DeltaLink(page.Delta);
            }

            await Json(context, 200, answer);
            return;
        }

        if (request.Method == "POST" && request.Path == "/v1.0/directoryObjects/getByIds")
        {
            JsonNode asked = JsonNode.Parse(body)!;
            var found = new JsonArray();
            foreach (string id in asked["ids"]!.AsArray().Select(n => (string)n!))
            {
                if (Users.TryGetValue(id, out var user))
                {
                    found.Add(new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = id, ["userPrincipalName"] = user.Upn, ["displayName"] = user.Name });
                }
            }

            await Json(context, 200, new JsonObject { ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#directoryObjects", ["value"] = found });
            return;
        }

        await Error(context, 404, "Request_ResourceNotFound", $"no route {request.Method} {request.Path}");
    }

    static Task Json(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    static Task Error(HttpContext context, int status, string code, string message) =>
        Json(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    public async Task StopAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A credential that hands out a fixed token: the wire fake checks it is sent, never validates it.</summary>
    public sealed class FixedToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("fake-graph-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
