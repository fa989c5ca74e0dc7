using Azure.Data.Tables;
using Cordon.Adapters.Tables;
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
        Assert.Equal(200, stored.SeenCount);
        Assert.Equal(200, stored.Current!.Views + stored.Baseline.Sum(b => b.Views));
        Assert.Equal(200, stored.Provisional.Count); // within the ticket grace period: judged when it has passed
    }

    [Fact]
    public async Task The_long_memory_survives_a_restart_and_keeps_counting_the_harvest()
    {
        string table = "behaviour" + Guid.NewGuid().ToString("N")[..8];
        MonitoringPolicy policy = ResponsePolicy.Default.Monitoring;
        var ist = new AgentContext("agent", TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"), new Dictionary<string, string>());
        List<AccessEvent> Shift(int day) => Enumerable.Range(0, 8).Select(i => new AccessEvent(
            "1.0", $"d{day}-e{i}", Nine.AddDays(day).AddMinutes(i * 30), new AgentRef("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"),
            "northwind-bank", AccessActions.ViewRecord, null, $"cust-{day}-{i}", null)).ToList();

        async Task<ScoreOutcome> ScoreAsync(TableBehaviourStateStore store, int day) =>
            await store.UpdateAsync<AgentState, ScoreOutcome>(TelemetryIntake.AgentKind, "asha.m@vendor.example", current =>
            {
                AgentState state = current ?? new AgentState();
                ScoreOutcome o = RiskScorer.Apply(state, Shift(day), new PeerGroup(), policy, ist);
                return Task.FromResult<(AgentState?, ScoreOutcome)>((state, o));
            }, CancellationToken.None);

        await ScoreAsync(NewStore(table), 0);
        // A new client on the same table (a restarted host): the first shift's customers are still remembered.
        ScoreOutcome second = await ScoreAsync(NewStore(table), 1);

        AgentState stored = (await NewStore(table).GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", CancellationToken.None))!;
        Assert.Equal(2, stored.Days.Count);
        Assert.Equal(15, stored.Exposure7); // 8 + 7: the last view of the second shift is still within its grace period
        Assert.Equal(15, second.Exposure7);
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
    public async Task A_month_of_history_for_one_agent_filled_to_every_bound_still_fits_one_entity()
    {
        TableBehaviourStateStore store = NewStore("behaviour" + Guid.NewGuid().ToString("N")[..8]);
        MonitoringPolicy policy = ResponsePolicy.Default.Monitoring;
        var state = new AgentState();
        string Long(string prefix, int i) => (prefix + i + new string('x', 250))[..250];
        var agent = new AgentRef("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1");
        int n = 0;
        AccessEvent Event(DateTimeOffset at, string action, string? customer, string? ticket) =>
            new("1.0", Long("e", n++)[..128], at, agent, "northwind-bank", action, null, customer, ticket);

        // 40 days: every day more customers without business need than a day remembers, and tickets never closed.
        for (int day = 0; day < 40; day++)
        {
            var events = new List<AccessEvent>();
            for (int i = 0; i < DayRecord.CustomerLimit + 100; i++)
            {
                DateTimeOffset at = Nine.AddDays(day).AddSeconds(i * 20);
                events.Add(Event(at, AccessActions.ViewRecord, Long($"c{day}-", i), null));
                events.Add(Event(at, AccessActions.TicketAssigned, Long($"t{day}-", i), Long($"t{day}-", i)));
            }

            RiskScorer.Apply(state, events, new PeerGroup(), policy);
        }

        // And a last day busier than the dedupe memory.
        RiskScorer.Apply(state, Enumerable.Range(0, AgentState.SeenIdLimit + 500).Select(i => Event(Nine.AddDays(40).AddSeconds(i), AccessActions.Search, null, null)).ToList(), new PeerGroup(), policy);
        string json = System.Text.Json.JsonSerializer.Serialize(state, BehaviourStateStore.Json);

        Assert.True(await store.TryWriteAsync(TelemetryIntake.AgentKind, "asha.m@vendor.example", json, null, default));
        AgentState stored = (await store.GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", default))!;
        Assert.Equal(AgentState.SeenIdLimit, stored.SeenCount);
        Assert.InRange(stored.Days.Count, 30, policy.HistoryDays);
        Assert.All(stored.Days.SkipLast(1), d => Assert.Equal(DayRecord.CustomerLimit, d.Customers.Count));
        Assert.True(stored.Exposure30 >= 30 * (DayRecord.CustomerLimit + 100) - 300, $"30-day exposure {stored.Exposure30}");
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
