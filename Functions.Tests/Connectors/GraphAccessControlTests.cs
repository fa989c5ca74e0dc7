using Cordon.Access;
using System.Collections.Concurrent;
using Azure.Core;
using Azure.Identity;
using Cordon.Adapters.Graph;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Graph;

namespace Cordon.Tests.Connectors;

/// <summary>
/// The Graph adapter against a local recording server that speaks Graph's JSON (including $batch with
/// per-item 429s). The real GraphServiceClient, built exactly as in production except for the
/// credential, sends every request; the tests assert what left the process. Waits go through a
/// recording TimeProvider whose timers fire at once, so Retry-After values are asserted, not slept.
/// </summary>
public sealed class GraphAccessControlTests : IAsyncLifetime
{
    const string Jo = "jo@vendor.example";
    const string JoPath = "/v1.0/users/jo%40vendor.example";
    const string Sku1 = "c7df2760-2c81-4ef7-b578-5b5392b571df";
    const string Sku2 = "18181a46-0d4e-45cd-891e-60aabd171b4e";

    readonly FakeGraphServer server = new();
    readonly StaticTokenCredential credential = new();
    readonly RecordingTimeProvider clock = new();

    public Task InitializeAsync() => server.StartAsync();

    readonly List<GraphServiceClient> clients = [];

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        await server.StopAsync();
    }

    GraphAccessControl Adapter(Action<GraphOptions>? configure = null)
    {
        var options = new GraphOptions { BaseUrl = server.BaseUrl, MaxRetries = 3, RetryBaseDelay = TimeSpan.FromSeconds(1), SlowDownPause = TimeSpan.FromSeconds(1) };
        configure?.Invoke(options);
        GraphServiceClient client = GraphClients.Create(credential, options);
        clients.Add(client);
        clock.RequestCount = () => server.Lines().Count;
        return new GraphAccessControl(client, Options.Create(options), clock, NullLogger<GraphAccessControl>.Instance);
    }

    FakeUser SeedJo()
    {
        var jo = server.Directory.AddUser(Jo, "u-jo");
        jo.Licences.AddRange([Sku1, Sku2]);
        jo.AppRoleAssignments.AddRange(["ar-1", "ar-2"]);
        server.Directory.AddGroup("g-crm").Members.Add("u-jo");
        server.Directory.AddGroup("g-pii").Members.Add("u-jo");
        server.Directory.AddGroup("g-m365", groupTypes: ["Unified"], mailEnabled: true).Members.Add("u-jo");
        server.Directory.AddGroup("g-dynamic", groupTypes: ["DynamicMembership"]).Members.Add("u-jo");
        server.Directory.AddGroup("g-dl", mailEnabled: true).Members.Add("u-jo");
        server.Directory.AddGroup("g-other").Members.Add("u-someone-else");
        return jo;
    }

    [Fact]
    public async Task GetAccess_reads_account_memberships_licences_and_assignments_with_a_bearer_token()
    {
        SeedJo();
        server.Directory.MemberOfPageSize = 2;

        AccessSnapshot snapshot = await Adapter().GetAccessAsync(Jo, default);

        Assert.True(snapshot.Exists);
        Assert.True(snapshot.AccountEnabled);
        // Dynamic and Exchange-managed groups are left out: Graph cannot change their membership.
        Assert.Equal(["g-crm", "g-pii", "g-m365"], snapshot.Groups);
        Assert.Equal([Sku1, Sku2], snapshot.Licences);
        Assert.Equal(["ar-1", "ar-2"], snapshot.AppRoleAssignments);

        const string groupQuery = "?$select=id,groupTypes,mailEnabled,securityEnabled,onPremisesSyncEnabled&$top=999";
        Assert.Equal(
        [
            $"GET {JoPath}?$select=id,userPrincipalName,accountEnabled,assignedLicenses",
            $"GET {JoPath}/memberOf/graph.group{groupQuery}",
            $"GET {JoPath}/memberOf/graph.group{groupQuery}&$skiptoken=2",
            $"GET {JoPath}/memberOf/graph.group{groupQuery}&$skiptoken=4",
            $"GET {JoPath}/appRoleAssignments?$select=id",
        ], server.Lines());
        Assert.All(server.Requests, r => Assert.Equal("Bearer test-token", r.Header("Authorization")));
        Assert.All(credential.Scopes, s => Assert.Equal([$"{new Uri(server.BaseUrl).GetLeftPart(UriPartial.Authority)}/.default"], s));
    }

    [Fact]
    public async Task A_lookalike_spelling_of_an_account_is_addressed_as_that_account_never_as_another()
    {
        server.Directory.AddUser("kim@vendor.example", "u-kim");
        const string kelvin = "\u212Aim@vendor.example"; // KELVIN SIGN, not K

        AccessSnapshot snapshot = await Adapter().GetAccessAsync(kelvin, default);
        await Adapter().SetAccountEnabledAsync(kelvin, false, default);

        Assert.True(snapshot.Exists);
        Assert.Equal("kim@vendor.example", snapshot.UserPrincipalName);
        Assert.False(server.Directory.Users["kim@vendor.example"].AccountEnabled);
        Assert.All(server.Lines(), l => Assert.Contains("/users/kim%40vendor.example", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAccess_of_an_unknown_account_reports_it_missing_after_one_request()
    {
        AccessSnapshot snapshot = await Adapter().GetAccessAsync("ghost@vendor.example", default);

        Assert.False(snapshot.Exists);
        Assert.Empty(snapshot.Groups);
        Assert.Equal(["GET /v1.0/users/ghost%40vendor.example?$select=id,userPrincipalName,accountEnabled,assignedLicenses"], server.Lines());
    }

    [Fact]
    public async Task Containment_revokes_sessions_then_disables_the_account_with_exact_requests()
    {
        FakeUser jo = SeedJo();
        GraphAccessControl graph = Adapter();

        await graph.RevokeSessionsAsync(Jo, default);
        await graph.SetAccountEnabledAsync(Jo, false, default);

        Assert.Equal([$"POST {JoPath}/revokeSignInSessions", $"PATCH {JoPath}"], server.Lines());
        Assert.Equal("", server.Requests[0].Body);
        RecordedRequest patch = server.Requests[1];
        Assert.StartsWith("application/json", patch.Header("Content-Type"), StringComparison.Ordinal);
        using JsonDocument body = JsonDocument.Parse(patch.Body);
        Assert.False(body.RootElement.GetProperty("accountEnabled").GetBoolean());
        Assert.DoesNotContain(body.RootElement.EnumerateObject(), p => p.Name is "displayName" or "userPrincipalName" or "id");
        Assert.False(jo.AccountEnabled);
        Assert.Equal(1, jo.SessionRevocations);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task Revoking_sessions_of_a_missing_account_fails_clearly()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Adapter().RevokeSessionsAsync("ghost@vendor.example", default));
        Assert.Contains("ghost@vendor.example does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_groups_then_restoring_them_puts_back_exactly_what_was_removed_and_reruns_are_harmless()
    {
        SeedJo();
        GraphAccessControl graph = Adapter();

        await graph.RemoveGroupMembershipsAsync(Jo, ["g-crm", "g-pii"], default);

        Assert.Equal(
        [
            $"GET {JoPath}?$select=id",
            "DELETE /v1.0/groups/g-crm/members/u-jo/$ref",
            "DELETE /v1.0/groups/g-pii/members/u-jo/$ref",
        ], server.Lines());
        Assert.DoesNotContain("u-jo", server.Directory.Groups["g-crm"].Members);
        Assert.DoesNotContain("u-jo", server.Directory.Groups["g-pii"].Members);
        Assert.Contains("u-jo", server.Directory.Groups["g-m365"].Members);

        // A re-run after a crash: Graph answers 404 for memberships already gone; that is success.
        server.Requests.Clear();
        await graph.RemoveGroupMembershipsAsync(Jo, ["g-crm", "g-pii"], default);
        Assert.Equal([404, 404], server.Requests.Where(r => r.Method == "DELETE").Select(r => r.Status));

        // False positive: restore.
        server.Requests.Clear();
        await graph.AddGroupMembershipsAsync(Jo, ["g-crm", "g-pii"], default);

        Assert.Equal(
        [
            $"GET {JoPath}?$select=id",
            "POST /v1.0/groups/g-crm/members/$ref",
            "POST /v1.0/groups/g-pii/members/$ref",
        ], server.Lines());
        foreach (RecordedRequest post in server.Requests.Where(r => r.Method == "POST"))
        {
            using JsonDocument body = JsonDocument.Parse(post.Body);
            Assert.Equal($"{server.BaseUrl}/directoryObjects/u-jo", body.RootElement.GetProperty("@odata.id").GetString());
        }

        Assert.Contains("u-jo", server.Directory.Groups["g-crm"].Members);
        Assert.Contains("u-jo", server.Directory.Groups["g-pii"].Members);

        // Restoring twice: Graph answers 400 "already exist"; that is success too.
        server.Requests.Clear();
        await graph.AddGroupMembershipsAsync(Jo, ["g-crm", "g-pii"], default);
        Assert.Equal([400, 400], server.Requests.Where(r => r.Method == "POST").Select(r => r.Status));
        Assert.Equal(["g-crm", "g-dl", "g-dynamic", "g-m365", "g-pii"], server.Directory.Groups.Values.Where(g => g.Members.Contains("u-jo")).Select(g => g.Id).Order());
    }

    [Fact]
    public async Task Adding_a_group_the_directory_refuses_for_another_reason_is_an_error()
    {
        SeedJo();
        await Assert.ThrowsAsync<Microsoft.Graph.Models.ODataErrors.ODataError>(() => Adapter().AddGroupMembershipsAsync(Jo, ["g-missing"], default));
    }

    [Fact]
    public async Task Revocation_removes_licences_and_app_role_assignments_idempotently()
    {
        FakeUser jo = SeedJo();
        GraphAccessControl graph = Adapter();

        await graph.RemoveLicencesAsync(Jo, [Sku1], default);
        await graph.RemoveAppRoleAssignmentsAsync(Jo, ["ar-1", "ar-gone"], default);

        Assert.Equal(
        [
            $"POST {JoPath}/assignLicense",
            $"DELETE {JoPath}/appRoleAssignments/ar-1",
            $"DELETE {JoPath}/appRoleAssignments/ar-gone",
        ], server.Lines());
        using (JsonDocument body = JsonDocument.Parse(server.Requests[0].Body))
        {
            Assert.Empty(body.RootElement.GetProperty("addLicenses").EnumerateArray());
            Assert.Equal([Sku1], body.RootElement.GetProperty("removeLicenses").EnumerateArray().Select(e => e.GetString()));
        }

        Assert.Equal(404, server.Requests[2].Status);
        Assert.Equal([Sku2], jo.Licences);
        Assert.Equal(["ar-2"], jo.AppRoleAssignments);

        // Re-run: assignLicense answers 400 for a SKU no longer assigned; the adapter checks what is
        // still directly assigned, finds nothing to do and succeeds.
        server.Requests.Clear();
        await graph.RemoveLicencesAsync(Jo, [Sku1], default);
        Assert.Equal([$"POST {JoPath}/assignLicense", $"GET {JoPath}?$select=id,licenseAssignmentStates"], server.Lines());
        Assert.Equal(400, server.Requests[0].Status);

        // Mixed: one SKU gone, one still assigned → the remaining one is removed.
        server.Requests.Clear();
        await graph.RemoveLicencesAsync(Jo, [Sku1, Sku2], default);
        Assert.Equal([$"POST {JoPath}/assignLicense", $"GET {JoPath}?$select=id,licenseAssignmentStates", $"POST {JoPath}/assignLicense"], server.Lines());
        Assert.Empty(jo.Licences);
    }

    [Fact]
    public async Task A_throttled_single_call_hands_back_its_Retry_After_without_waiting()
    {
        FakeUser jo = SeedJo();
        server.Intercept = r => r.Path.EndsWith("/revokeSignInSessions", StringComparison.Ordinal) ? Reply.Throttled("2") : null;

        var thrown = await Assert.ThrowsAsync<DirectoryThrottledException>(() => Adapter().RevokeSessionsAsync(Jo, default));

        // One request, no wait inside the activity: the incident waits the Retry-After on a durable timer.
        Assert.Equal([429], server.Requests.Select(r => r.Status));
        Assert.Empty(clock.Delays);
        Assert.Equal(TimeSpan.FromSeconds(2), thrown.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(2), DirectoryThrottledException.RetryAfterIn(thrown.Message));
        Assert.Equal(0, jo.SessionRevocations);
    }

    [Fact]
    public async Task A_Retry_After_given_as_an_HTTP_date_is_handed_back_against_the_clock()
    {
        SeedJo();
        // The recording clock starts at 2025-06-02 09:00:00 UTC.
        server.Intercept = r => r.Method == "PATCH" ? Reply.Throttled("Mon, 02 Jun 2025 09:00:05 GMT") : null;

        var thrown = await Assert.ThrowsAsync<DirectoryThrottledException>(() => Adapter().SetAccountEnabledAsync(Jo, false, default));

        Assert.Equal([429], server.Requests.Select(r => r.Status));
        Assert.Equal(TimeSpan.FromSeconds(5), thrown.RetryAfter);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task A_503_without_Retry_After_is_handed_back_with_no_wait_for_the_caller_to_back_off()
    {
        SeedJo();
        server.Intercept = r => r.Method == "PATCH" ? new Reply(503, Error("serviceNotAvailable", "try later")) : null;

        var thrown = await Assert.ThrowsAsync<DirectoryThrottledException>(() => Adapter().SetAccountEnabledAsync(Jo, false, default));

        Assert.Single(server.Requests);
        Assert.Null(thrown.RetryAfter);
        Assert.Null(DirectoryThrottledException.RetryAfterIn(thrown.Message));
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task Bulk_revocation_of_45_accounts_sends_5_batches_of_at_most_20_requests()
    {
        List<string> upns = Agents(45);

        BulkRevocationResult result = await Adapter().RevokeAccountsAsync(upns, default);

        AssertResult(result, accounts: 45, revoked: 45, requests: 5);
        // 45 accounts × 2 writes (revokeSignInSessions + PATCH accountEnabled) = 90 requests = 5 × 20 max.
        Assert.Equal(Enumerable.Repeat("POST /v1.0/$batch", 5), server.Lines());
        Assert.Equal([20, 20, 20, 20, 10], server.Requests.Select(r => r.BatchItems.Count));
        foreach (RecordedRequest batch in server.Requests)
        {
            Assert.Equal("Bearer test-token", batch.Header("Authorization"));
            Assert.StartsWith("application/json", batch.Header("Content-Type"), StringComparison.Ordinal);
            using JsonDocument doc = JsonDocument.Parse(batch.Body);
            Assert.Equal(["requests"], doc.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(batch.BatchItems.Count, batch.BatchItems.Select(i => i.Id).Distinct().Count());
        }

        var items = server.Requests.SelectMany(r => r.BatchItems).ToList();
        Assert.Equal(90, items.Count);
        Assert.Equal(90, items.Select(i => i.Id).Distinct().Count());
        foreach (string upn in upns)
        {
            string path = "/users/" + Uri.EscapeDataString(upn);
            BatchItem revoke = Assert.Single(items, i => i.Url == path + "/revokeSignInSessions");
            Assert.Equal("POST", revoke.Method);
            Assert.Null(revoke.Body);
            BatchItem disable = Assert.Single(items, i => i.Url == path);
            Assert.Equal("PATCH", disable.Method);
            Assert.Equal("""{"accountEnabled":false}""", disable.Body);
            Assert.Equal("application/json", disable.Headers["Content-Type"]);
            FakeUser user = server.Directory.Users[upn];
            Assert.False(user.AccountEnabled);
            Assert.Equal(1, user.SessionRevocations);
        }

        // The first item of the first batch, verbatim.
        using JsonDocument first = JsonDocument.Parse(server.Requests[0].Body);
        Assert.Equal(
            """{"id":"1","method":"POST","url":"/users/agent01%40vendor.example/revokeSignInSessions"}""",
            first.RootElement.GetProperty("requests")[0].GetRawText());
        Assert.Equal(
            """{"id":"2","method":"PATCH","url":"/users/agent01%40vendor.example","headers":{"Content-Type":"application/json"},"body":{"accountEnabled":false}}""",
            first.RootElement.GetProperty("requests")[1].GetRawText());
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task Items_throttled_inside_a_200_batch_come_back_pending_with_their_Retry_After_and_nothing_waits()
    {
        List<string> upns = Agents(10);
        string revoke2 = "/users/" + Uri.EscapeDataString(upns[1]) + "/revokeSignInSessions";
        string disable7 = "/users/" + Uri.EscapeDataString(upns[6]);
        string disable4 = "/users/" + Uri.EscapeDataString(upns[3]);
        server.ItemIntercept = (item, attempt) => attempt == 1 && item.Url == revoke2 ? Reply.Throttled("2")
            : attempt == 1 && item.Url == disable7 ? Reply.Throttled("1")
            : attempt == 1 && item.Url == disable4 ? Reply.Throttled(null)
            : null;
        GraphAccessControl adapter = Adapter();

        BulkRevocationResult first = await adapter.RevokeAccountsAsync(upns, default);

        // The adapter waits for nothing: the throttled accounts come back with the longest Retry-After.
        Assert.Empty(clock.Delays);
        Assert.Equal(7, first.Revoked);
        Assert.Empty(first.Failed);
        Assert.Equal([upns[1], upns[3], upns[6]], first.Pending);
        Assert.Equal(TimeSpan.FromSeconds(2), first.RetryAfter);
        Assert.Equal(1, first.Requests);

        // The caller (the incident, on a durable timer) sends what was left.
        BulkRevocationResult second = await adapter.RevokeAccountsAsync(first.Pending!, default);
        AssertResult(second, accounts: 3, revoked: 3, requests: 1);
        Assert.Null(second.Pending);
        Assert.Equal(6, server.Requests[1].BatchItems.Count);
        Assert.Empty(clock.Delays);
        Assert.All(upns, u => Assert.False(server.Directory.Users[u].AccountEnabled));
    }

    [Fact]
    public async Task Items_throttled_without_Retry_After_come_back_pending_without_a_wait_of_their_own()
    {
        List<string> upns = Agents(2);
        string revoke1 = "/users/" + Uri.EscapeDataString(upns[0]) + "/revokeSignInSessions";
        server.ItemIntercept = (item, attempt) => attempt <= 1 && item.Url == revoke1 ? Reply.Throttled(null) : null;

        BulkRevocationResult result = await Adapter().RevokeAccountsAsync(upns, default);

        Assert.Equal(1, result.Revoked);
        Assert.Equal([upns[0]], result.Pending);
        Assert.Null(result.RetryAfter); // the caller backs off exponentially
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task Accounts_that_do_not_exist_are_reported_failed_and_throttled_ones_pending()
    {
        List<string> upns = Agents(4);
        upns.Insert(2, "ghost@vendor.example");
        string disable4 = "/users/" + Uri.EscapeDataString(upns[4]);
        server.ItemIntercept = (item, _) => item.Url == disable4 ? Reply.Throttled("1") : null;

        BulkRevocationResult result = await Adapter(o => o.MaxRetries = 2).RevokeAccountsAsync(upns, default);

        Assert.Equal(5, result.Accounts);
        Assert.Equal(3, result.Revoked);
        Assert.Equal(["ghost@vendor.example"], result.Failed);
        Assert.Equal([upns[4]], result.Pending);
        Assert.Equal(TimeSpan.FromSeconds(1), result.RetryAfter);
        Assert.Equal(1, result.Requests);
        Assert.Single(server.Requests.SelectMany(r => r.BatchItems), i => i.Url.Contains("ghost", StringComparison.Ordinal) && i.Method == "PATCH");
    }

    [Fact]
    public async Task A_batch_throttled_as_a_whole_hands_every_account_back_with_its_Retry_After()
    {
        List<string> upns = Agents(3);
        int batches = 0;
        server.Intercept = r => r.Path == "/v1.0/$batch" && Interlocked.Increment(ref batches) == 1 ? Reply.Throttled("3") : null;
        GraphAccessControl adapter = Adapter();

        BulkRevocationResult first = await adapter.RevokeAccountsAsync(upns, default);
        BulkRevocationResult second = await adapter.RevokeAccountsAsync(first.Pending!, default);

        Assert.Equal(0, first.Revoked);
        Assert.Equal(upns, first.Pending);
        Assert.Equal(TimeSpan.FromSeconds(3), first.RetryAfter);
        AssertResult(second, accounts: 3, revoked: 3, requests: 1);
        Assert.Equal([429, 200], server.Requests.Select(r => r.Status));
        Assert.Equal(server.Requests[0].Body, server.Requests[1].Body);
        Assert.Empty(clock.Delays);
        Assert.All(upns, u => Assert.False(server.Directory.Users[u].AccountEnabled));
    }

    [Fact]
    public async Task A_batch_answering_503_hands_every_account_back_without_waiting()
    {
        server.Intercept = r => r.Path == "/v1.0/$batch" ? new Reply(503, Error("serviceNotAvailable", "down")) : null;

        BulkRevocationResult result = await Adapter(o => o.MaxRetries = 2).RevokeAccountsAsync(Agents(1), default);

        Assert.Equal(Agents(1), result.Pending);
        Assert.Null(result.RetryAfter);
        Assert.Single(server.Requests);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task A_throttle_limit_percentage_at_or_above_the_threshold_hands_the_rest_back_with_the_slow_down_pause()
    {
        List<string> upns = Agents(25); // 50 requests → 3 batches
        int batches = 0;
        server.ResponseHeaders = r => r.Path == "/v1.0/$batch" && Interlocked.Increment(ref batches) == 1
            ? new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = "0.9" }
            : [];
        GraphAccessControl adapter = Adapter();

        BulkRevocationResult first = await adapter.RevokeAccountsAsync(upns, default);
        BulkRevocationResult second = await adapter.RevokeAccountsAsync(first.Pending!, default);

        Assert.Equal(10, first.Revoked);
        Assert.Equal(1, first.Requests);
        // 90 % of the budget: 1 s pause at 80 %, growing linearly to 2 s at 100 % → 1.5 s, after the first batch.
        Assert.Equal(TimeSpan.FromSeconds(1.5), first.RetryAfter);
        Assert.Equal(upns.Skip(10), first.Pending);
        Assert.Equal(15, second.Revoked);
        Assert.Equal(2, second.Requests);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task A_throttle_limit_percentage_below_the_threshold_or_on_the_last_batch_does_not_pause()
    {
        List<string> upns = Agents(15); // 30 requests → 2 batches
        int batches = 0;
        server.ResponseHeaders = r => r.Path == "/v1.0/$batch"
            ? new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = Interlocked.Increment(ref batches) == 1 ? "0.79" : "1.2" }
            : [];

        BulkRevocationResult result = await Adapter().RevokeAccountsAsync(upns, default);

        Assert.Equal(15, result.Revoked);
        Assert.Null(result.Pending);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task A_throttle_limit_percentage_on_a_batch_item_also_hands_the_rest_back()
    {
        List<string> upns = Agents(11); // 22 requests → 2 batches
        server.ItemIntercept = (item, _) => item.Id == "5"
            ? new Reply(204, null, new Dictionary<string, string> { ["x-ms-throttle-limit-percentage"] = "1.0" })
            : null;

        BulkRevocationResult result = await Adapter().RevokeAccountsAsync(upns, default);

        Assert.Equal(TimeSpan.FromSeconds(2), result.RetryAfter);
        Assert.Equal(upns.Skip(10), result.Pending);
        Assert.Empty(clock.Delays);
    }

    [Fact]
    public async Task AddCordonGraph_registers_options_credential_client_and_the_graph_adapter()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cordon:Graph:BaseUrl"] = "https://graph.microsoft.us/v1.0",
            ["Cordon:Graph:TenantId"] = "11111111-2222-3333-4444-555555555555",
            ["Cordon:Graph:MaxRetries"] = "4",
            ["Cordon:Graph:SlowDownAtPercent"] = "85",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IAccessControl, NoAccessControl>();

        services.AddCordonGraph(configuration);

        await using ServiceProvider provider = services.BuildServiceProvider();
        GraphOptions options = provider.GetRequiredService<IOptions<GraphOptions>>().Value;
        Assert.Equal("https://graph.microsoft.us/v1.0", options.BaseUrl);
        Assert.Equal("11111111-2222-3333-4444-555555555555", options.TenantId);
        Assert.Equal(4, options.MaxRetries);
        Assert.Equal(85, options.SlowDownAtPercent);
        Assert.IsType<DefaultAzureCredential>(provider.GetRequiredService<TokenCredential>());
        Assert.Equal("https://graph.microsoft.us/v1.0", provider.GetRequiredService<GraphServiceClient>().RequestAdapter.BaseUrl);
        Assert.IsType<GraphAccessControl>(provider.GetRequiredService<IAccessControl>());
        Assert.Single(provider.GetServices<IAccessControl>());
    }

    [Fact]
    public async Task AddCordonGraph_refuses_unusable_settings_by_name()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cordon:Graph:BaseUrl"] = "http://graph.example.com/v1.0",
            ["Cordon:Graph:BatchSize"] = "50",
        }).Build();
        var services = new ServiceCollection();
        services.AddCordonGraph(configuration);

        await using ServiceProvider provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GraphOptions>>().Value);
        Assert.Contains(ex.Failures, f => f.Contains("BaseUrl", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("BatchSize", StringComparison.Ordinal));
    }

    static void AssertResult(BulkRevocationResult result, int accounts, int revoked, int requests, params string[] failed)
    {
        Assert.Equal(accounts, result.Accounts);
        Assert.Equal(revoked, result.Revoked);
        Assert.Equal(requests, result.Requests);
        Assert.Equal(failed, result.Failed);
    }

    List<string> Agents(int count)
    {
        var upns = new List<string>();
        for (int i = 1; i <= count; i++)
        {
            string upn = $"agent{i:D2}@vendor.example";
            server.Directory.AddUser(upn, $"u-{i:D2}");
            upns.Add(upn);
        }

        return upns;
    }

    static JsonObject Error(string code, string message) => new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } };

    sealed class NoAccessControl : IAccessControl
    {
        public Task<AccessSnapshot> GetAccessAsync(string userPrincipalName, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RevokeSessionsAsync(string userPrincipalName, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SetAccountEnabledAsync(string userPrincipalName, bool enabled, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RemoveGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task AddGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RemoveLicencesAsync(string userPrincipalName, IReadOnlyCollection<string> licences, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RemoveAppRoleAssignmentsAsync(string userPrincipalName, IReadOnlyCollection<string> assignments, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BulkRevocationResult> RevokeAccountsAsync(IReadOnlyList<string> userPrincipalNames, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Hands out a fixed token and records the scopes asked for.</summary>
    sealed class StaticTokenCredential : TokenCredential
    {
        public ConcurrentQueue<string[]> Scopes { get; } = new();

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.Enqueue(requestContext.Scopes);
            return new AccessToken("test-token", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }

    /// <summary>
    /// A clock whose timers fire immediately: every requested wait is recorded (and the clock moved by
    /// it), so a test asserts the Retry-After honoured without sleeping through it.
    /// </summary>
    sealed class RecordingTimeProvider : TimeProvider
    {
        readonly Lock gate = new();
        readonly List<(TimeSpan Wait, int RequestsBefore)> waits = [];
        DateTimeOffset now = new(2025, 6, 2, 9, 0, 0, TimeSpan.Zero);

        public Func<int>? RequestCount { get; set; }

        public IReadOnlyList<TimeSpan> Delays => Waits.Select(w => w.Wait).ToList();

        /// <summary>Each wait with the number of requests the server had received when it began.</summary>
        public IReadOnlyList<(TimeSpan Wait, int RequestsBefore)> Waits
        {
            get
            {
                lock (gate)
                {
                    return waits.ToList();
                }
            }
        }

        public override DateTimeOffset GetUtcNow()
        {
            lock (gate)
            {
                return now;
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                lock (gate)
                {
                    waits.Add((dueTime, RequestCount?.Invoke() ?? -1));
                    now += dueTime;
                }

                dueTime = TimeSpan.Zero;
            }

            return TimeProvider.System.CreateTimer(callback, state, dueTime, period);
        }
    }

    sealed record Reply(int Status, JsonNode? Body = null, IReadOnlyDictionary<string, string>? Headers = null)
    {
        public static Reply Throttled(string? retryAfter) => new(429,
            new JsonObject { ["error"] = new JsonObject { ["code"] = "TooManyRequests", ["message"] = "Too many requests" } },
            retryAfter is null ? null : new Dictionary<string, string> { ["Retry-After"] = retryAfter });
    }

    sealed record BatchItem(string Id, string Method, string Url, IReadOnlyDictionary<string, string> Headers, string? Body);

    sealed class RecordedRequest
    {
        public required string Method { get; init; }

        /// <summary>Path and query exactly as sent (percent-encoding preserved).</summary>
        public required string Target { get; init; }

        /// <summary>Path as sent, without the query.</summary>
        public required string Path { get; init; }

        public required IReadOnlyDictionary<string, string> Headers { get; init; }

        public required string Body { get; init; }

        public List<BatchItem> BatchItems { get; } = [];

        public int Status { get; set; }

        public string? Header(string name) => Headers.TryGetValue(name, out string? v) ? v : null;
    }

    sealed class FakeUser(string upn, string id)
    {
        public string UserPrincipalName { get; } = upn;

        public string Id { get; } = id;

        public bool AccountEnabled { get; set; } = true;

        public int SessionRevocations { get; set; }

        public List<string> Licences { get; } = [];

        public List<string> AppRoleAssignments { get; } = [];
    }

    sealed class FakeGroup(string id, string[] groupTypes, bool mailEnabled)
    {
        public string Id { get; } = id;

        public string[] GroupTypes { get; } = groupTypes;

        public bool MailEnabled { get; } = mailEnabled;

        public HashSet<string> Members { get; } = [];
    }

    /// <summary>The slice of Entra ID behind the endpoints Cordon calls, with Graph's answers for the edge cases.</summary>
    sealed class FakeDirectory(Func<string> baseUrl)
    {
        public Dictionary<string, FakeUser> Users { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, FakeGroup> Groups { get; } = new(StringComparer.OrdinalIgnoreCase);

        readonly Lock gate = new();

        public int MemberOfPageSize { get; set; } = 100;

        public FakeUser AddUser(string upn, string id) => Users[upn] = new FakeUser(upn, id);

        public FakeGroup AddGroup(string id, string[]? groupTypes = null, bool mailEnabled = false) =>
            Groups[id] = new FakeGroup(id, groupTypes ?? [], mailEnabled);

        FakeUser? User(string key) => Users.TryGetValue(key, out FakeUser? u) ? u : Users.Values.FirstOrDefault(x => x.Id == key);

        /// <summary>Answers one request; <paramref name="path"/> is below the version segment, e.g. /users/x/revokeSignInSessions.</summary>
        public Reply Handle(string method, string path, IReadOnlyDictionary<string, string> query, string? body)
        {
            string[] s = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
            lock (gate)
            {
                return (method, s) switch
                {
                    ("GET", ["users", var u]) => User(u) is { } user ? new Reply(200, UserJson(user)) : NotFound(u),
                    ("PATCH", ["users", var u]) => User(u) is { } user ? Patch(user, body) : NotFound(u),
                    ("POST", ["users", var u, "revokeSignInSessions"]) => User(u) is { } user ? Revoke(user) : NotFound(u),
                    ("GET", ["users", var u, "memberOf", "graph.group" or "microsoft.graph.group"]) => User(u) is { } user ? MemberOf(user, path, query) : NotFound(u),
                    ("GET", ["users", var u, "appRoleAssignments"]) => User(u) is { } user
                        ? new Reply(200, new JsonObject { ["value"] = new JsonArray(user.AppRoleAssignments.Select(a => (JsonNode)new JsonObject { ["id"] = a }).ToArray()) })
                        : NotFound(u),
                    ("DELETE", ["users", var u, "appRoleAssignments", var a]) => User(u) is { } user && user.AppRoleAssignments.Remove(a) ? new Reply(204) : NotFound(a),
                    ("POST", ["users", var u, "assignLicense"]) => User(u) is { } user ? AssignLicense(user, body) : NotFound(u),
                    ("DELETE", ["groups", var g, "members", var m, "$ref"]) => Groups.TryGetValue(g, out FakeGroup? group) && group.Members.Remove(m) ? new Reply(204) : NotFound(m),
                    ("POST", ["groups", var g, "members", "$ref"]) => Groups.TryGetValue(g, out FakeGroup? group) ? AddMember(group, body) : NotFound(g),
                    _ => NotFound(path),
                };
            }
        }

        static JsonObject UserJson(FakeUser u) => new()
        {
            ["id"] = u.Id,
            ["userPrincipalName"] = u.UserPrincipalName,
            ["accountEnabled"] = u.AccountEnabled,
            ["assignedLicenses"] = new JsonArray(u.Licences.Select(l => (JsonNode)new JsonObject { ["skuId"] = l, ["disabledPlans"] = new JsonArray() }).ToArray()),
            ["licenseAssignmentStates"] = new JsonArray(u.Licences.Select(l => (JsonNode)new JsonObject { ["skuId"] = l, ["assignedByGroup"] = null, ["state"] = "Active" }).ToArray()),
        };

        static Reply Patch(FakeUser user, string? body)
        {
            using JsonDocument doc = JsonDocument.Parse(body ?? "{}");
            if (doc.RootElement.TryGetProperty("accountEnabled", out JsonElement enabled))
            {
                user.AccountEnabled = enabled.GetBoolean();
            }

            return new Reply(204);
        }

        static Reply Revoke(FakeUser user)
        {
            user.SessionRevocations++;
            return new Reply(200, new JsonObject { ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", ["value"] = true });
        }

        Reply MemberOf(FakeUser user, string path, IReadOnlyDictionary<string, string> query)
        {
            var groups = Groups.Values.Where(g => g.Members.Contains(user.Id)).OrderBy(g => g.Id == "g-crm" ? 0 : g.Id == "g-pii" ? 1 : 2).ThenBy(g => g.Id).ToList();
            int skip = query.TryGetValue("$skiptoken", out string? t) ? int.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var page = groups.Skip(skip).Take(MemberOfPageSize).ToList();
            var result = new JsonObject
            {
                ["value"] = new JsonArray(page.Select(g => (JsonNode)new JsonObject
                {
                    ["@odata.type"] = "#microsoft.graph.group",
                    ["id"] = g.Id,
                    ["groupTypes"] = new JsonArray(g.GroupTypes.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                    ["mailEnabled"] = g.MailEnabled,
                    ["securityEnabled"] = !g.MailEnabled,
                    ["onPremisesSyncEnabled"] = null,
                }).ToArray()),
            };
            if (skip + page.Count < groups.Count)
            {
                string rest = string.Join("&", query.Where(q => q.Key != "$skiptoken").Select(q => $"{q.Key}={q.Value}"));
                result["@odata.nextLink"] = $"{baseUrl()}{path}?{rest}&$skiptoken={skip + page.Count}";
            }

            return new Reply(200, result);
        }

        static Reply AssignLicense(FakeUser user, string? body)
        {
            using JsonDocument doc = JsonDocument.Parse(body ?? "{}");
            var remove = doc.RootElement.GetProperty("removeLicenses").EnumerateArray().Select(e => e.GetString()!).ToList();
            if (remove.Any(r => !user.Licences.Contains(r)))
            {
                return new Reply(400, new JsonObject { ["error"] = new JsonObject { ["code"] = "Request_BadRequest", ["message"] = "User does not have a corresponding license." } });
            }

            user.Licences.RemoveAll(remove.Contains);
            return new Reply(200, UserJson(user));
        }

        static Reply AddMember(FakeGroup group, string? body)
        {
            using JsonDocument doc = JsonDocument.Parse(body ?? "{}");
            string id = doc.RootElement.GetProperty("@odata.id").GetString()!.Split('/')[^1];
            if (!group.Members.Add(id))
            {
                return new Reply(400, new JsonObject
                {
                    ["error"] = new JsonObject
                    {
                        ["code"] = "Request_BadRequest",
                        ["message"] = "One or more added object references already exist for the following modified properties: 'members'.",
                    },
                });
            }

            return new Reply(204);
        }

        static Reply NotFound(string what) => new(404, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = "Request_ResourceNotFound", ["message"] = $"Resource '{what}' does not exist or one of its queried reference-property objects are not present." },
        });
    }

    /// <summary>Kestrel on 127.0.0.1 (free port) speaking Graph v1.0 JSON, recording every request.</summary>
    sealed class FakeGraphServer
    {
        WebApplication? app;
        string root = "";
        readonly Dictionary<string, int> itemAttempts = [];

        public FakeGraphServer() => Directory = new FakeDirectory(() => BaseUrl);

        public string BaseUrl => root + "/v1.0";

        public FakeDirectory Directory { get; }

        public List<RecordedRequest> Requests { get; } = [];

        /// <summary>Answers a whole request instead of the directory (e.g. a 429 for a $batch).</summary>
        public Func<RecordedRequest, Reply?>? Intercept { get; set; }

        /// <summary>Answers one $batch item; the int is how many times this method+url has been seen.</summary>
        public Func<BatchItem, int, Reply?>? ItemIntercept { get; set; }

        /// <summary>Extra headers on a whole response (e.g. x-ms-throttle-limit-percentage).</summary>
        public Func<RecordedRequest, IReadOnlyDictionary<string, string>>? ResponseHeaders { get; set; }

        public List<string> Lines()
        {
            lock (Requests)
            {
                return Requests.Select(r => $"{r.Method} {r.Target}").ToList();
            }
        }

        public async Task StartAsync()
        {
            (app, string address) = await LoopbackServer.StartAsync(HandleAsync);
            root = address.TrimEnd('/');
        }

        async Task HandleAsync(HttpContext context)
        {
            string target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            string body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
            var recorded = new RecordedRequest
            {
                Method = context.Request.Method,
                Target = target,
                Path = target.Split('?')[0],
                Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                Body = body,
            };
            lock (Requests)
            {
                Requests.Add(recorded);
            }

            Reply reply = recorded.Header("Authorization") != "Bearer test-token"
                ? new Reply(401, new JsonObject { ["error"] = new JsonObject { ["code"] = "InvalidAuthenticationToken", ["message"] = "Access token is empty." } })
                : Intercept?.Invoke(recorded) ?? Answer(recorded);
            recorded.Status = reply.Status;

            context.Response.StatusCode = reply.Status;
            foreach (var (name, value) in (reply.Headers ?? new Dictionary<string, string>()).Concat(ResponseHeaders?.Invoke(recorded) ?? new Dictionary<string, string>()))
            {
                context.Response.Headers[name] = value;
            }

            if (reply.Body is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(reply.Body.ToJsonString());
            }
        }

        Reply Answer(RecordedRequest request)
        {
            const string version = "/v1.0";
            if (!request.Path.StartsWith(version, StringComparison.Ordinal))
            {
                return new Reply(404);
            }

            if (request.Method == "POST" && request.Path == version + "/$batch")
            {
                return Batch(request);
            }

            return Directory.Handle(request.Method, request.Path[version.Length..], Query(request.Target), request.Body);
        }

        Reply Batch(RecordedRequest request)
        {
            using JsonDocument doc = JsonDocument.Parse(request.Body);
            JsonElement items = doc.RootElement.GetProperty("requests");
            if (items.GetArrayLength() > 20)
            {
                return new Reply(400, new JsonObject { ["error"] = new JsonObject { ["code"] = "BadRequest", ["message"] = "Batch request cannot exceed 20 requests" } });
            }

            var responses = new JsonArray();
            foreach (JsonElement item in items.EnumerateArray())
            {
                var headers = item.TryGetProperty("headers", out JsonElement h)
                    ? h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
                    : [];
                var batchItem = new BatchItem(
                    item.GetProperty("id").GetString()!,
                    item.GetProperty("method").GetString()!,
                    item.GetProperty("url").GetString()!,
                    headers,
                    item.TryGetProperty("body", out JsonElement b) ? b.GetRawText() : null);
                request.BatchItems.Add(batchItem);

                string key = batchItem.Method + " " + batchItem.Url;
                int attempt = itemAttempts[key] = itemAttempts.GetValueOrDefault(key) + 1;
                string[] parts = batchItem.Url.Split('?', 2);
                Reply reply = ItemIntercept?.Invoke(batchItem, attempt)
                    ?? Directory.Handle(batchItem.Method, parts[0], Query(batchItem.Url), batchItem.Body);
                var response = new JsonObject { ["id"] = batchItem.Id, ["status"] = reply.Status };
                if (reply.Headers is not null)
                {
                    response["headers"] = new JsonObject(reply.Headers.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
                }

                if (reply.Body is not null)
                {
                    response["body"] = reply.Body.DeepClone();
                }

                responses.Add(response);
            }

            // Graph answers batch items in any order.
            var shuffled = new JsonArray(responses.Reverse().Select(n => n!.DeepClone()).ToArray());
            return new Reply(200, new JsonObject { ["responses"] = shuffled });
        }

        static Dictionary<string, string> Query(string target)
        {
            int q = target.IndexOf('?', StringComparison.Ordinal);
            if (q < 0)
            {
                return [];
            }

            return target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "");
        }

        public async Task StopAsync()
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
    }
}
