using Azure.Data.Tables;
using Cordon.Behaviour;
using Cordon.Policy;
using Cordon.Tests.Incidents;
using Microsoft.Extensions.Configuration;

namespace Cordon.Tests.Behaviour;

/// <summary>Per-agent state in Azure Table Storage (Azurite): ETag concurrency and durability.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class TableStateStoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    static readonly DateTimeOffset Nine = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    TableBehaviourStateStore NewStore(string table) => new(new TableServiceClient(azurite.ConnectionString).GetTableClient(table));

    static List<AccessEvent> Batch(int batch, int size) => Enumerable.Range(0, size).Select(i => new AccessEvent(
        "1.0", $"b{batch}-e{i}", Nine.AddSeconds((batch * size) + i), new AgentRef("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"),
        "northwind-bank", AccessActions.ViewRecord, null, $"cust-{batch}-{i}", null)).ToList();

    [Fact]
    public async Task Concurrent_batches_for_one_agent_lose_no_update_and_the_state_survives_a_new_store()
    {
        string table = "behaviour" + Guid.NewGuid().ToString("N")[..8];
        TableBehaviourStateStore store = NewStore(table);
        MonitoringPolicy policy = ResponsePolicy.Default.Monitoring;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(b => Task.Run(() => store.UpdateAsync<AgentState, int>(TelemetryIntake.AgentKind, "asha.m@vendor.example", current =>
        {
            AgentState state = current ?? new AgentState();
            RiskScorer.Apply(state, Batch(b, 25), new PeerGroup(), policy);
            return Task.FromResult<(AgentState?, int)>((state, 0));
        }, CancellationToken.None))));

        // A new client on the same table: what a restarted host would read.
        AgentState stored = (await NewStore(table).GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", CancellationToken.None))!;
        Assert.Equal(200, stored.SeenEventIds.Distinct().Count());
        Assert.Equal(200, stored.Current!.Views + stored.Baseline.Sum(b => b.Views));
        Assert.Equal(200, stored.UnjustifiedCustomers.Count);
    }

    [Fact]
    public async Task A_write_from_a_stale_version_is_refused()
    {
        TableBehaviourStateStore store = NewStore("behaviour" + Guid.NewGuid().ToString("N")[..8]);
        Assert.True(await store.TryWriteAsync("agent", "a@b.example", "{\"v\":1}", null, default));
        StoredDocument first = (await store.ReadAsync("agent", "a@b.example", default))!;
        Assert.True(await store.TryWriteAsync("agent", "a@b.example", "{\"v\":2}", first.ETag, default));

        Assert.False(await store.TryWriteAsync("agent", "a@b.example", "{\"v\":3}", first.ETag, default));
        Assert.False(await store.TryWriteAsync("agent", "a@b.example", "{\"v\":4}", null, default));
        Assert.Equal("{\"v\":2}", (await store.ReadAsync("agent", "a@b.example", default))!.Json);
    }

    [Fact]
    public async Task A_document_larger_than_one_table_property_round_trips()
    {
        TableBehaviourStateStore store = NewStore("behaviour" + Guid.NewGuid().ToString("N")[..8]);
        string big = "{\"s\":\"" + new string('x', 100_000) + "\"}";

        Assert.True(await store.TryWriteAsync("agent", "a/b#c?d", big, null, default));

        Assert.Equal(big, (await store.ReadAsync("agent", "a/b#c?d", default))!.Json);
    }

    [Fact]
    public async Task An_agent_filled_to_every_bound_still_fits_one_entity()
    {
        TableBehaviourStateStore store = NewStore("behaviour" + Guid.NewGuid().ToString("N")[..8]);
        var state = new AgentState();
        string Long(string prefix, int i) => prefix + i + new string('x', 200);
        var events = new List<AccessEvent>();
        for (int i = 0; i < AgentState.SeenIdLimit + 500; i++)
        {
            // Longest ids allowed, a ticket and a customer without business need at every step.
            string action = (i % 3) switch { 0 => AccessActions.TicketAssigned, 1 => AccessActions.ViewRecord, _ => AccessActions.Search };
            events.Add(new AccessEvent("1.0", Long("e", i)[..128], Nine.AddSeconds(i), new AgentRef("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"),
                "northwind-bank", action, null, Long("c", i), Long("t", i)));
        }

        RiskScorer.Apply(state, events, new PeerGroup(), ResponsePolicy.Default.Monitoring);
        string json = System.Text.Json.JsonSerializer.Serialize(state, BehaviourStateStore.Json);

        Assert.True(await store.TryWriteAsync(TelemetryIntake.AgentKind, "asha.m@vendor.example", json, null, default));
        Assert.Equal(AgentState.SeenIdLimit, (await store.GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", default))!.SeenEventIds.Count);
    }

    [Fact]
    public void Table_store_is_chosen_by_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cordon:Behaviour:Store"] = "table",
            ["Cordon:Behaviour:TableConnection"] = azurite.ConnectionString,
        }).Build();
        using ServiceProvider sp = new ServiceCollection().AddLogging().AddCordonBehaviour(config).BuildServiceProvider();

        Assert.IsType<TableBehaviourStateStore>(sp.GetRequiredService<BehaviourStateStore>());
    }
}
