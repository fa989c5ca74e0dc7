using Azure.Data.Tables;
using Cordon.Adapters.Graph;
using Cordon.Adapters.Tables;
using Cordon.Roster;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Graph;

namespace Cordon.Tests.Roster;

/// <summary>The Table Storage roster against Azurite, fed by the Graph adapter through the wire fake.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class TableRosterStoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    const string Site = RosterSyncTests.Site;
    readonly GraphGroupDeltaFake graph = new();
    readonly RosterSyncTests.Clock time = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
    readonly string table = "roster" + Guid.NewGuid().ToString("n")[..12];
    GraphServiceClient? client;

    public async Task InitializeAsync()
    {
        await graph.StartAsync();
        for (int i = 1; i <= 250; i++)
        {
            graph.User($"u-{i:D3}", $"agent{i:D3}@vendor.example", $"Agent {i}");
        }

        client = GraphClients.Create(new GraphGroupDeltaFake.FixedToken(), new GraphOptions { BaseUrl = graph.GraphBase });
    }

    public async Task DisposeAsync()
    {
        client?.Dispose();
        await graph.StopAsync();
    }

    /// <summary>A new store on the same tables: what a restarted Function App would open.</summary>
    TableRosterStore NewStore()
    {
        var account = new TableServiceClient(azurite.ConnectionString);
        return new TableRosterStore(account.GetTableClient(table), account.GetTableClient(table + "Sync"));
    }

    RosterSync Sync(IRosterStore store) => new(new GraphGroupMembersDelta(client!, time), store, RosterSyncTests.WorldNamingGroup(),
        Options.Create(new RosterOptions()), time, NullLogger<RosterSync>.Instance);

    static string[] Ids(int from, int to) => [.. Enumerable.Range(from, to - from + 1).Select(i => $"u-{i:D3}")];

    [Fact]
    public async Task A_sync_cut_short_by_throttling_resumes_from_the_stored_page_in_a_new_process_and_removals_leave_the_table()
    {
        graph.Page(GraphGroupDeltaFake.Initial, Ids(1, 120), next: "page-2");
        graph.Page("page-2", Ids(121, 250), delta: "delta-1");
        graph.Page("delta-1", [], removed: ["u-007", "u-200"], delta: "delta-2");
        graph.ThrottleOnce("page-2", 30);

        RosterSyncResult first = await Sync(NewStore()).SyncSiteAsync(Site, RosterSyncTests.Group, force: false, default);
        Assert.False(first.Completed);
        Assert.Equal(120, (await NewStore().ListAsync(Site, default)).Count);

        time.Advance(TimeSpan.FromSeconds(30));
        int before = graph.Requests.Count;
        RosterSyncResult resumed = await Sync(NewStore()).SyncSiteAsync(Site, RosterSyncTests.Group, force: false, default);
        Assert.True(resumed.Completed);
        Assert.Equal("GET /v1.0/groups/delta?$skiptoken=page-2", graph.Requests[before]);
        Assert.Equal(250, (await NewStore().ListAsync(Site, default)).Count);
        Assert.Equal(250, (await NewStore().GetCheckpointAsync(Site, default))!.Members);

        await Sync(NewStore()).SyncSiteAsync(Site, RosterSyncTests.Group, force: true, default);

        TableRosterStore store = NewStore();
        IReadOnlyList<RosterMember> members = await store.ListAsync(Site, default);
        Assert.Equal(248, members.Count);
        Assert.DoesNotContain(members, m => m.Id is "u-007" or "u-200");
        Assert.Equal(members.Select(m => m.Id).Order(StringComparer.Ordinal), members.Select(m => m.Id)); // stable order for offboarding slices
        Assert.Equal(graph.DeltaLink("delta-2"), (await store.GetCheckpointAsync(Site, default))!.DeltaLink);
    }

    [Fact]
    public async Task A_member_is_found_by_any_spelling_of_the_name_and_only_on_its_own_site()
    {
        TableRosterStore store = NewStore();
        await store.UpsertAsync(Site, [new RosterMember("u-1", "Ana.M@Vendor.Example", "Ana M.")], 1, default);

        Assert.Equal("u-1", (await store.FindAsync(Site, "ana.m@vendor.example", default))?.Id);
        Assert.Null(await store.FindAsync("fab-pune-1", "ana.m@vendor.example", default));
        Assert.Null(await store.FindAsync(Site, "ana.n@vendor.example", default));

        await store.RemoveAsync(Site, ["u-1", "u-never-there"], default);
        Assert.Null(await store.FindAsync(Site, "ana.m@vendor.example", default));
    }
}
