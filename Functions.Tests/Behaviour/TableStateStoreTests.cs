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

    /// <summary>Counts the entity requests a table client sends, by method (creating the table, once per process, is not one).</summary>
    sealed class RequestCounter : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public int Reads;
        public int Writes;

        public override void OnSendingRequest(Azure.Core.HttpMessage message)
        {
            if (message.Request.Uri.Path.EndsWith("/Tables", StringComparison.Ordinal))
            {
                return;
            }

            if (message.Request.Method == Azure.Core.RequestMethod.Get)
            {
                Interlocked.Increment(ref Reads);
            }
            else if (message.Request.Method == Azure.Core.RequestMethod.Put || message.Request.Method == Azure.Core.RequestMethod.Post)
            {
                Interlocked.Increment(ref Writes);
            }
        }
    }

    static Task<int> ScoreAsync(TableBehaviourStateStore store, List<AccessEvent> batch) =>
        store.UpdateAsync<AgentState, int>(TelemetryIntake.AgentKind, "asha.m@vendor.example", current =>
        {
            AgentState state = current ?? new AgentState();
            ScoreOutcome o = RiskScorer.Apply(state, batch, new PeerGroup(), ResponsePolicy.Default.Monitoring);
            return Task.FromResult<(AgentState?, int)>((o.Accepted > 0 ? state : null, o.Accepted));
        }, CancellationToken.None);

    [Fact]
    public async Task An_agent_is_read_once_per_process_and_written_once_per_batch()
    {
        string table = "behaviour" + Guid.NewGuid().ToString("N")[..8];
        var counter = new RequestCounter();
        var options = new TableClientOptions();
        options.AddPolicy(counter, Azure.Core.HttpPipelinePosition.PerCall);
        var store = new TableBehaviourStateStore(new TableClient(azurite.ConnectionString, table, options));
        await ScoreAsync(store, Batch(0, 1)); // creates the table
        (int reads, int writes) = (counter.Reads, counter.Writes);

        for (int b = 1; b <= 5; b++)
        {
            await ScoreAsync(store, Batch(b, 25));
        }

        await ScoreAsync(store, Batch(5, 25)); // a resent batch: nothing to write
        Assert.Equal((0, 5), (counter.Reads - reads, counter.Writes - writes));

        // A new process reads the entity once, on its first batch, and finds everything the first one wrote.
        var restarted = new TableBehaviourStateStore(new TableClient(azurite.ConnectionString, table, options));
        Assert.Equal(0, await ScoreAsync(restarted, Batch(3, 25)));
        Assert.Equal(25, await ScoreAsync(restarted, Batch(6, 25)));
        Assert.Equal((1, 6), (counter.Reads - reads, counter.Writes - writes));
    }

    [Fact]
    public async Task Two_processes_taking_turns_on_one_agent_lose_no_event()
    {
        string table = "behaviour" + Guid.NewGuid().ToString("N")[..8];
        TableBehaviourStateStore first = NewStore(table), second = NewStore(table);

        await ScoreAsync(first, Batch(0, 25));
        await ScoreAsync(second, Batch(1, 25));
        // The first process's live copy is now behind the table: its write loses, it reads again and recomputes.
        await ScoreAsync(first, Batch(2, 25));
        await ScoreAsync(second, Batch(3, 25));

        AgentState stored = (await NewStore(table).GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", CancellationToken.None))!;
        Assert.Equal(100, stored.SeenCount);
        Assert.Equal(100, stored.Current!.Views + stored.Baseline.Sum(b => b.Views));
    }

    [Fact]
    public async Task An_undelivered_alert_survives_a_restart_in_the_agent_entity()
    {
        string table = "behaviour" + Guid.NewGuid().ToString("N")[..8];
        var alert = new Cordon.Alerts.RiskAlert("1.0", "mon-abc-1", RiskScorer.Source, Nine, new Cordon.Alerts.AlertSubject("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"),
            72.5, Cordon.Alerts.Severities.High, [new Cordon.Alerts.Indicator("mass-record-access", "no-business-need: 12 customers", 12, Nine)], ["northwind-bank"], 12, []);
        await NewStore(table).UpdateAsync<AgentState, bool>(TelemetryIntake.AgentKind, "asha.m@vendor.example", current =>
        {
            AgentState state = current ?? new AgentState();
            state.RememberUndelivered(alert);
            return Task.FromResult<(AgentState?, bool)>((state, true));
        }, CancellationToken.None);

        AgentState stored = (await NewStore(table).GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", CancellationToken.None))!;

        Cordon.Alerts.RiskAlert kept = Assert.Single(stored.Undelivered);
        Assert.Equal((alert.AlertId, alert.Severity, alert.RiskScore, alert.AffectedRecords), (kept.AlertId, kept.Severity, kept.RiskScore, kept.AffectedRecords));
        Assert.Equal("no-business-need: 12 customers", Assert.Single(kept.Indicators).Detail);
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
