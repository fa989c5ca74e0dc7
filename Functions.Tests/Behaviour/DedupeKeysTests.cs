using System.Text.Json;
using Cordon.Behaviour;
using Cordon.Policy;

namespace Cordon.Tests.Behaviour;

/// <summary>
/// Dedupe by event id: keys are a fast 48-bit hash kept as a live set beside the agent's state. The set must decide exactly
/// as the stored text would (a restarted process reads only the text), ids stored by an earlier version (SHA-256) must still
/// be recognised, and a batch's order of arrival must not change its score.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DedupeKeysTests
{
    static readonly DateTimeOffset Nine = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    static readonly MonitoringPolicy Policy = ResponsePolicy.Default.Monitoring;

    const string Upn = "asha.m@vendor.example";

    static AccessEvent View(string id, DateTimeOffset at, string customer) =>
        new("1.0", id, at, new AgentRef(Upn, "fabrikam-bpo", "fab-pune-1"), "northwind-bank", AccessActions.ViewRecord, null, customer, null);

    static AgentState RoundTrip(AgentState state) =>
        JsonSerializer.Deserialize<AgentState>(JsonSerializer.Serialize(state, BehaviourStateStore.Json), BehaviourStateStore.Json)!;

    static string Json(AgentState state) => JsonSerializer.Serialize(state, BehaviourStateStore.Json);

    /// <summary>What dedupe keeps, and the score it led to (a dictionary read back may list its keys in another order).</summary>
    static string Remembered(AgentState state) =>
        JsonSerializer.Serialize(new { state.Seen, state.LegacySeen, state.SeenScheme, state.Score, state.Exposure30, Views = state.Days.Sum(d => d.Views) }, BehaviourStateStore.Json);

    [Fact]
    public void Distinct_event_ids_get_distinct_keys_and_the_same_id_always_the_same_key()
    {
        string[] ids = [.. Enumerable.Range(0, 200_000).Select(i => $"evt-{i}"), "ünïcode-1", "ünïcode-2", "", new string('x', 128), "EVT-1", "evt-1 "];
        ulong[] keys = [.. ids.Select(SeenIds.Key)];

        Assert.Equal(ids.Length, keys.Distinct().Count());
        Assert.All(keys, k => Assert.True(k < 1UL << 48));
        Assert.Equal(keys, ids.Select(id => SeenIds.Key(new string(id.AsSpan()))));
    }

    [Fact]
    public void The_live_key_set_dedupes_exactly_as_the_state_read_back_from_storage()
    {
        // 30 hours of 300 events an hour: ids leave the 24-hour window and the 5,000-id limit trims the oldest.
        var live = new AgentState();
        var stored = new AgentState();
        var batches = new List<List<AccessEvent>>();
        for (int hour = 0; hour < 30; hour++)
        {
            for (int part = 0; part < 3; part++)
            {
                batches.Add([.. Enumerable.Range(0, 100).Select(i => View($"h{hour}-p{part}-{i}", Nine.AddHours(hour).AddSeconds((part * 1000) + (i * 10)), $"c{i % 7}"))]);
            }
        }

        foreach (List<AccessEvent> batch in batches)
        {
            RiskScorer.Apply(live, batch, new PeerGroup(), Policy);
            stored = RoundTrip(stored);
            RiskScorer.Apply(stored, batch, new PeerGroup(), Policy);
        }

        Assert.Equal(AgentState.SeenIdLimit, live.SeenCount);
        Assert.Equal(Remembered(stored), Remembered(live));

        // Resent: batches trimmed away, at the edge of the limit, and recent ones; each decided alike by both.
        foreach (int b in new[] { 0, 40, 41, 42, 70, 89 })
        {
            ScoreOutcome l = RiskScorer.Apply(live, batches[b], new PeerGroup(), Policy);
            stored = RoundTrip(stored);
            ScoreOutcome s = RiskScorer.Apply(stored, batches[b], new PeerGroup(), Policy);
            Assert.Equal((s.Accepted, s.Duplicates), (l.Accepted, l.Duplicates));
        }

        Assert.Equal((0, 100), (RiskScorer.Apply(live, batches[89], new PeerGroup(), Policy) is var o ? (o.Accepted, o.Duplicates) : default));
        Assert.Equal(Remembered(stored), Remembered(live));
    }

    [Fact]
    public void Ids_stored_by_an_earlier_version_still_dedupe_until_they_leave_the_window()
    {
        List<AccessEvent> batch = [.. Enumerable.Range(0, 20).Select(i => View($"old-{i}", Nine.AddMinutes(i), $"c{i}"))];
        var state = new AgentState();
        RiskScorer.Apply(state, batch, new PeerGroup(), Policy);

        // As an earlier version stored it: SHA-256 fingerprints, no key scheme.
        state.Seen = [new SeenHour { Hour = Nine, Ids = string.Concat(batch.Select(e => RiskScorer.Fingerprint(e.EventId)[..AgentState.SeenIdChars])) }];
        state.SeenScheme = null;
        state = RoundTrip(state);

        ScoreOutcome resent = RiskScorer.Apply(state, batch, new PeerGroup(), Policy);
        Assert.Equal((0, 20), (resent.Accepted, resent.Duplicates));
        Assert.Equal(20, state.SeenCount);

        ScoreOutcome later = RiskScorer.Apply(state, [View("new-1", Nine.AddHours(26), "c1")], new PeerGroup(), Policy);
        Assert.Equal((1, 0), (later.Accepted, later.Duplicates));
        Assert.Empty(state.LegacySeen);
        Assert.Equal(1, state.SeenCount);
        Assert.Equal((0, 1), RiskScorer.Apply(RoundTrip(state), [View("new-1", Nine.AddHours(26), "c1")], new PeerGroup(), Policy) is var again ? (again.Accepted, again.Duplicates) : default);
    }

    [Fact]
    public void A_batch_arriving_out_of_order_scores_as_the_same_batch_in_order()
    {
        // A harvesting hour: views of customers with no ticket, a few tickets, an export; then the next hour.
        var events = new List<AccessEvent>();
        for (int i = 0; i < 60; i++)
        {
            events.Add(View($"v-{i}", Nine.AddSeconds(i * 61), $"cust-{i % 25}"));
        }

        events.Add(new AccessEvent("1.0", "t-1", Nine.AddMinutes(3).AddSeconds(7), new AgentRef(Upn, "fabrikam-bpo", "fab-pune-1"), "northwind-bank", AccessActions.TicketAssigned, null, "cust-2", "T-1"));
        events.Add(new AccessEvent("1.0", "x-1", Nine.AddMinutes(50).AddSeconds(3), new AgentRef(Upn, "fabrikam-bpo", "fab-pune-1"), "northwind-bank", AccessActions.Export, null, null, null, 40));
        List<AccessEvent> inOrder = [.. events.OrderBy(e => e.OccurredAt)];
        List<AccessEvent> shuffled = [.. inOrder.OrderBy(e => SeenIds.Key(e.EventId))];
        Assert.NotEqual(inOrder, shuffled);

        var a = new AgentState();
        var b = new AgentState();
        ScoreOutcome oa = RiskScorer.Apply(a, inOrder, new PeerGroup(), Policy);
        ScoreOutcome ob = RiskScorer.Apply(b, shuffled, new PeerGroup(), Policy);

        Assert.True(a.Score > 0);
        Assert.Equal(Json(a), Json(b));
        Assert.Equal(oa.Alert?.AlertId, ob.Alert?.AlertId);
        Assert.Equal((oa.Accepted, oa.Exposure7), (ob.Accepted, ob.Exposure7));
    }
}
