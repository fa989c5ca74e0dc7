using Cordon.Alerts;
using Cordon.Behaviour;
using Cordon.Policy;

namespace Cordon.Tests.Behaviour;

/// <summary>The default store: live per-agent objects in process memory, one gate per agent.</summary>
[Trait("Category", "Unit")]
public sealed class LiveStateStoreTests
{
    static readonly DateTimeOffset Nine = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    static List<AccessEvent> Batch(int batch, int size) => Enumerable.Range(0, size).Select(i => new AccessEvent(
        "1.0", $"b{batch}-e{i}", Nine.AddSeconds((batch * size) + i), new AgentRef("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"),
        "northwind-bank", AccessActions.ViewRecord, null, $"cust-{batch}-{i}", null)).ToList();

    [Fact]
    public async Task Concurrent_batches_for_one_agent_lose_no_event()
    {
        var store = new InMemoryBehaviourStateStore();
        MonitoringPolicy policy = ResponsePolicy.Default.Monitoring;

        int[] accepted = await Task.WhenAll(Enumerable.Range(0, 16).Select(b => Task.Run(() => store.UpdateAsync<AgentState, int>(TelemetryIntake.AgentKind, "asha.m@vendor.example", async current =>
        {
            AgentState state = current ?? new AgentState();
            await Task.Yield(); // another batch would step in here if the gate let it
            ScoreOutcome o = RiskScorer.Apply(state, Batch(b, 25), new PeerGroup(), policy);
            return (state, o.Accepted);
        }, CancellationToken.None))));

        AgentState stored = (await store.GetAsync<AgentState>(TelemetryIntake.AgentKind, "asha.m@vendor.example", CancellationToken.None))!;
        Assert.Equal(400, accepted.Sum());
        Assert.Equal(400, stored.SeenCount);
        Assert.Equal(400, stored.Current!.Views + stored.Baseline.Sum(b => b.Views));
    }

    [Fact]
    public async Task A_resent_batch_finds_the_state_the_first_one_left()
    {
        var store = new InMemoryBehaviourStateStore();
        MonitoringPolicy policy = ResponsePolicy.Default.Monitoring;
        Task<ScoreOutcome> ScoreAsync() => store.UpdateAsync<AgentState, ScoreOutcome>(TelemetryIntake.AgentKind, "asha.m@vendor.example", current =>
        {
            AgentState state = current ?? new AgentState();
            ScoreOutcome o = RiskScorer.Apply(state, Batch(0, 10), new PeerGroup(), policy);
            return Task.FromResult<(AgentState?, ScoreOutcome)>((o.Accepted > 0 ? state : null, o));
        }, CancellationToken.None);

        ScoreOutcome first = await ScoreAsync();
        ScoreOutcome again = await ScoreAsync();

        Assert.Equal((10, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, 10), (again.Accepted, again.Duplicates));
    }

    [Fact]
    public async Task A_shared_document_replaced_by_a_copy_leaves_what_a_reader_holds_unchanged()
    {
        var store = new InMemoryBehaviourStateStore();
        await store.UpdateAsync<PeerGroup, bool>(TelemetryIntake.PeersKind, "site|agent", _ =>
            Task.FromResult<(PeerGroup?, bool)>((new PeerGroup { Exposure7 = { ["a"] = 1 } }, true)), CancellationToken.None);
        PeerGroup held = (await store.GetAsync<PeerGroup>(TelemetryIntake.PeersKind, "site|agent", CancellationToken.None))!;

        await store.UpdateAsync<PeerGroup, bool>(TelemetryIntake.PeersKind, "site|agent", current =>
        {
            PeerGroup g = current!.Copy();
            g.Exposure7["b"] = 2;
            return Task.FromResult<(PeerGroup?, bool)>((g, true));
        }, CancellationToken.None);

        Assert.Equal(["a"], held.Exposure7.Keys);
        Assert.Equal(["a", "b"], (await store.GetAsync<PeerGroup>(TelemetryIntake.PeersKind, "site|agent", CancellationToken.None))!.Exposure7.Keys.Order());
    }

    [Fact]
    public void An_undelivered_alert_is_kept_once_per_id_and_within_a_bound()
    {
        var state = new AgentState();
        RiskAlert Alert(int n) => new("1.0", $"mon-x-{n}", RiskScorer.Source, Nine, new AlertSubject("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"),
            50, Severities.Medium, [], [], 1, []);

        state.RememberUndelivered(Alert(1));
        state.RememberUndelivered(Alert(1));
        Assert.Single(state.Undelivered);

        for (int i = 2; i <= 30; i++)
        {
            state.RememberUndelivered(Alert(i));
        }

        Assert.Equal(20, state.Undelivered.Count);
        Assert.Equal("mon-x-30", state.Undelivered[^1].AlertId);
    }
}
