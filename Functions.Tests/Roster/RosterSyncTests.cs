using Cordon.Adapters.Graph;
using Cordon.Configuration;
using Cordon.Roster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Graph;

namespace Cordon.Tests.Roster;

/// <summary>
/// The roster sync through the real Graph client (the production <see cref="GraphClients"/> pipeline) against a
/// wire-level Graph fake: what left the process is asserted, page by page and run by run.
/// </summary>
public sealed class RosterSyncTests : IAsyncLifetime
{
    public const string Group = "6f1f6c2e-0b7a-4c55-9d3e-2a8f2d4c1b10";
    public const string Site = "fab-manila-1";

    readonly GraphGroupDeltaFake graph = new();
    readonly List<GraphServiceClient> clients = [];

    internal Clock Time { get; } = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    public async Task InitializeAsync()
    {
        await graph.StartAsync();
        graph.User("u-1", "ana.m@vendor.example", "Ana M.");
        graph.User("u-2", "ben.t@vendor.example", "Ben T.");
        graph.User("u-3", "chloe.r@vendor.example", "Chloe R.");
        graph.User("u-4", "dev.s@vendor.example", "Dev S.");
    }

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        await graph.StopAsync();
    }

    internal static LiveConfiguration WorldNamingGroup(string? group = Group) => new(
        new FixedDocument($$"""
            { "vendors": [ { "id": "fabrikam-bpo", "name": "Fabrikam", "sites": [
                { "id": "{{Site}}", "name": "Fabrikam Manila 1", {{(group is null ? "" : $"\"directoryGroupId\": \"{group}\",")}}
                  "agents": [ { "userPrincipalName": "listed.only@vendor.example" } ], "generatedAgents": 30 } ] } ] }
            """, "test world"),
        new FixedDocument(null, "defaults"), TimeProvider.System);

    internal RosterSync Sync(IRosterStore store, GraphGroupDeltaFake? fake = null) =>
        new(Directory(fake ?? graph), store, WorldNamingGroup(), Options.Create(new RosterOptions()), Time, NullLogger<RosterSync>.Instance);

    GraphGroupMembersDelta Directory(GraphGroupDeltaFake fake)
    {
        GraphServiceClient client = GraphClients.Create(new GraphGroupDeltaFake.FixedToken(), new GraphOptions { BaseUrl = fake.GraphBase });
        clients.Add(client);
        return new GraphGroupMembersDelta(client, Time);
    }

    static async Task<string[]> Upns(IRosterStore store) =>
        [.. (await store.ListAsync(Site, default)).Select(m => m.UserPrincipalName).Order()];

    [Fact]
    public async Task A_first_sync_pages_through_nextLinks_and_the_next_run_reads_only_the_changes_from_the_deltaLink()
    {
        graph.NestedGroupMember = "g-nested";
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-2"], next: "page-2");
        graph.Page("page-2", ["u-3"], delta: "delta-1");
        graph.Page("delta-1", ["u-4"], delta: "delta-2");
        var store = new MemoryRosterStore();

        RosterSyncResult first = await Sync(store).SyncSiteAsync(Site, Group, force: false, default);

        Assert.True(first.Completed);
        Assert.Equal(2, first.Pages);
        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example", "chloe.r@vendor.example"], await Upns(store));
        Assert.Equal(
            [
                $"GET /v1.0/groups/delta()?$filter=id eq '{Group}'&$select=members",
                "POST /v1.0/directoryObjects/getByIds",
                "GET /v1.0/groups/delta?$skiptoken=page-2",
                "POST /v1.0/directoryObjects/getByIds",
            ], graph.Requests);
        Assert.Equal(graph.DeltaLink("delta-1"), (await store.GetCheckpointAsync(Site, default))!.DeltaLink);

        Time.Advance(TimeSpan.FromMinutes(15));
        RosterSyncResult second = await Sync(store).SyncSiteAsync(Site, Group, force: false, default);

        Assert.True(second.Completed);
        Assert.Equal(["GET /v1.0/groups/delta?$deltatoken=delta-1", "POST /v1.0/directoryObjects/getByIds"], graph.Requests.Skip(4));
        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example", "chloe.r@vendor.example", "dev.s@vendor.example"], await Upns(store));
        Assert.Equal(graph.DeltaLink("delta-2"), (await store.GetCheckpointAsync(Site, default))!.DeltaLink);
    }

    [Fact]
    public async Task Members_removed_from_the_group_leave_the_roster()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-2", "u-3"], delta: "delta-1");
        graph.Page("delta-1", [], removed: ["u-2"], delta: "delta-2");
        var store = new MemoryRosterStore();
        await Sync(store).SyncSiteAsync(Site, Group, force: false, default);

        RosterSyncResult changes = await Sync(store).SyncSiteAsync(Site, Group, force: true, default);

        Assert.Equal(1, changes.Removed);
        Assert.Equal(["ana.m@vendor.example", "chloe.r@vendor.example"], await Upns(store));
        Assert.Equal(2, (await store.GetCheckpointAsync(Site, default))!.Members);
    }

    [Fact]
    public async Task A_throttled_page_keeps_the_sync_at_that_page_until_Retry_After_has_passed()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1"], next: "page-2");
        graph.Page("page-2", ["u-2"], delta: "delta-1");
        graph.ThrottleOnce("page-2", retryAfterSeconds: 7);
        var store = new MemoryRosterStore();

        RosterSyncResult throttled = await Sync(store).SyncSiteAsync(Site, Group, force: false, default);
        Assert.False(throttled.Completed);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.RetryAfter);
        Assert.Equal(["ana.m@vendor.example"], await Upns(store));
        Assert.Equal(graph.NextLink("page-2"), (await store.GetCheckpointAsync(Site, default))!.NextLink);

        int before = graph.Requests.Count;
        RosterSyncResult early = await Sync(store).SyncSiteAsync(Site, Group, force: true, default);
        Assert.True(early.Skipped);
        Assert.Equal(before, graph.Requests.Count); // nothing asked before Retry-After

        Time.Advance(TimeSpan.FromSeconds(7));
        RosterSyncResult resumed = await Sync(store).SyncSiteAsync(Site, Group, force: false, default);

        Assert.True(resumed.Completed);
        Assert.Equal("GET /v1.0/groups/delta?$skiptoken=page-2", graph.Requests[before]); // where it stopped, not from the start
        Assert.DoesNotContain(graph.Requests.Skip(before), r => r.Contains("$filter", StringComparison.Ordinal));
        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example"], await Upns(store));
    }

    /// <summary>
    /// One throttled answer asked for ten years (Retry-After: 315360000): the site's sync stopped for good and a new hire
    /// stayed "not on roster" (found by an attack). The wait is at most <see cref="RosterSync.MaxThrottleWait"/>.
    /// </summary>
    [Fact]
    public async Task A_throttled_page_asking_for_years_waits_at_most_the_cap_and_then_resumes()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1"], next: "page-2");
        graph.Page("page-2", ["u-2"], delta: "delta-1");
        graph.ThrottleOnce("page-2", retryAfterSeconds: 315_360_000);
        var store = new MemoryRosterStore();

        RosterSyncResult throttled = await Sync(store).SyncSiteAsync(Site, Group, force: false, default);
        Assert.Equal(RosterSync.MaxThrottleWait, throttled.RetryAfter);

        Time.Advance(RosterSync.MaxThrottleWait);
        Assert.True((await Sync(store).SyncSiteAsync(Site, Group, force: false, default)).Completed);
        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example"], await Upns(store));
    }

    [Fact]
    public async Task An_expired_delta_link_reads_the_group_in_full_and_sweeps_members_no_longer_in_it()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-2"], delta: "delta-1");
        var store = new MemoryRosterStore();
        await Sync(store).SyncSiteAsync(Site, Group, force: false, default);
        graph.Expire("delta-1");
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-3"], delta: "delta-9");

        RosterSyncResult result = await Sync(store).SyncSiteAsync(Site, Group, force: true, default);

        Assert.True(result.Completed);
        Assert.Equal(["ana.m@vendor.example", "chloe.r@vendor.example"], await Upns(store));
        Assert.Equal(graph.DeltaLink("delta-9"), (await store.GetCheckpointAsync(Site, default))!.DeltaLink);
    }

    /// <summary>
    /// Found by an attack: a full re-read (the delta link expired) whose last page carried neither a next nor a delta link
    /// swept every member before it found the link missing, kept the old checkpoint (2 members, finished), and so the roster
    /// listed nobody while it counted 2, flagged every subject "not on roster", and offboarding stored an empty account list.
    /// </summary>
    [Fact]
    public async Task A_full_reread_whose_last_page_has_no_delta_link_removes_nobody_and_a_later_try_finishes_it()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-2"], delta: "delta-1");
        var store = new MemoryRosterStore();
        var roster = new SiteRoster(store, WorldNamingGroup());
        await Sync(store).SyncSiteAsync(Site, Group, force: false, default);
        graph.Expire("delta-1");
        graph.Page(GraphGroupDeltaFake.Initial, [], next: null, delta: null); // an empty answer: no link at all

        await Assert.ThrowsAsync<InvalidDataException>(() => Sync(store).SyncSiteAsync(Site, Group, force: true, default));

        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example"], await Upns(store));
        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example"], await roster.AccountsAsync(Site, default));
        Assert.Equal(2, await roster.CountAsync(Site, default));
        Assert.True((await roster.CheckAsync(Site, "ana.m@vendor.example", default))!.OnRoster);

        // The failure backs off one sync interval; then the re-read runs again from the start and ends with a delta link.
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-3"], delta: "delta-9");
        int before = graph.Requests.Count;
        Assert.True((await Sync(store).SyncSiteAsync(Site, Group, force: true, default)).Skipped);
        Assert.Equal(before, graph.Requests.Count);
        Time.Advance(new RosterOptions().SyncInterval);
        RosterSyncResult reread = await Sync(store).SyncSiteAsync(Site, Group, force: false, default);

        Assert.True(reread.Completed);
        Assert.Equal($"GET /v1.0/groups/delta()?$filter=id eq '{Group}'&$select=members", graph.Requests[before]);
        Assert.Equal(["ana.m@vendor.example", "chloe.r@vendor.example"], await Upns(store));
        Assert.Equal(2, (await store.GetCheckpointAsync(Site, default))!.Members);
    }

    /// <summary>
    /// Found by an attack: "expired" answered to the first read of a full one (no link to drop) made the sync start again,
    /// and again, without counting a page: 10,001 reads in one call. It is a failure: one read, an error, a back-off.
    /// </summary>
    [Fact]
    public async Task A_directory_answering_expired_to_the_first_read_fails_after_one_read_and_backs_off()
    {
        graph.Expire(GraphGroupDeltaFake.Initial);
        var store = new MemoryRosterStore();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20)); // the old loop only stops here

        Exception? failed = await Record.ExceptionAsync(() => Sync(store).SyncSiteAsync(Site, Group, force: true, guard.Token));

        Assert.IsType<InvalidDataException>(failed);
        Assert.Single(graph.Requests);
        Assert.True((await Sync(store).SyncSiteAsync(Site, Group, force: true, default)).Skipped);
        Assert.Single(graph.Requests);
    }

    [Fact]
    public async Task Only_the_documented_answers_to_an_expired_link_start_a_full_read()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1", "u-2"], delta: "delta-1");
        var store = new MemoryRosterStore();
        await Sync(store).SyncSiteAsync(Site, Group, force: false, default);

        // A 400 whose code merely mentions a token is a bad request, not an expired link: no full read, the roster unchanged.
        graph.Fail("delta-1", 400, "invalidSkipToken");
        await Assert.ThrowsAnyAsync<Exception>(() => Sync(store).SyncSiteAsync(Site, Group, force: true, default));
        Assert.DoesNotContain(graph.Requests.Skip(2), r => r.Contains("$filter", StringComparison.Ordinal));
        Assert.Equal(["ana.m@vendor.example", "ben.t@vendor.example"], await Upns(store));

        // 400 syncStateNotFound (an expired delta token of a directory resource) does.
        graph.Fail("delta-1", 400, "syncStateNotFound");
        graph.Page(GraphGroupDeltaFake.Initial, ["u-2"], delta: "delta-9");
        RosterSyncResult reread = await Sync(store).SyncSiteAsync(Site, Group, force: true, default);

        Assert.True(reread.Completed);
        Assert.Equal(["ben.t@vendor.example"], await Upns(store));
    }

    [Fact]
    public async Task Sites_whose_interval_has_not_passed_are_not_read_again()
    {
        graph.Page(GraphGroupDeltaFake.Initial, ["u-1"], delta: "delta-1");
        graph.Page("delta-1", [], delta: "delta-1");
        var store = new MemoryRosterStore();
        RosterSync sync = Sync(store);

        IReadOnlyList<RosterSyncResult> first = await sync.SyncDueAsync(default);
        int requests = graph.Requests.Count;
        IReadOnlyList<RosterSyncResult> soon = await sync.SyncDueAsync(default);
        Time.Advance(new RosterOptions().SyncInterval);
        await sync.SyncDueAsync(default);

        Assert.True(Assert.Single(first).Completed);
        Assert.True(Assert.Single(soon).Skipped);
        Assert.Equal(requests + 1, graph.Requests.Count); // the due run asked for the changes once (none to resolve)
    }

    /// <summary>A clock the test moves.</summary>
    internal sealed class Clock(DateTimeOffset start) : TimeProvider
    {
        DateTimeOffset now = start;

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
