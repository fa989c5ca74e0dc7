using Xunit;
using Cordon.Alerts;
using Cordon.Behaviour;
using Cordon.Policy;

namespace Cordon.Tests.Behaviour;

/// <summary>
/// Scoring on a fake clock: the event timestamps are the clock, so hours pass in microseconds.
/// Each reason fires on its own pattern and stays silent on the innocent pattern next to it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RiskScorerTests
{
    /// <summary>Monday 09:00 UTC: inside the default shift hours (06:00–22:00).</summary>
    static readonly DateTimeOffset Nine = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    static readonly MonitoringPolicy Policy = ResponsePolicy.Default.Monitoring;

    /// <summary>One agent's state fed with events, the way the intake does batch by batch.</summary>
    sealed class Agent(string upn = "asha.m@vendor.example")
    {
        int sequence;

        public AgentState State { get; } = new();

        public PeerGroup Peers { get; } = new();

        public List<AccessEvent> Pending { get; } = [];

        public AccessEvent Event(string action, DateTimeOffset at, string? customer = null, string? ticket = null, int count = 1, string client = "northwind-bank") =>
            new("1.0", $"{upn}-{++sequence}", at, new AgentRef(upn, "fabrikam-bpo", "fab-pune-1"), client, action, customer is null ? null : customer + "/profile", customer, ticket, count);

        public Agent Do(string action, DateTimeOffset at, string? customer = null, string? ticket = null, int count = 1)
        {
            Pending.Add(Event(action, at, customer, ticket, count));
            return this;
        }

        /// <summary>Ordinary work: a ticket for the customer, views of that customer, the ticket closed.</summary>
        public Agent Ticket(DateTimeOffset at, string customer, int views = 2)
        {
            string ticket = "T-" + customer;
            Do(AccessActions.TicketAssigned, at, customer, ticket);
            for (int v = 0; v < views; v++)
            {
                Do(AccessActions.ViewRecord, at.AddSeconds(30 + (v * 20)), customer);
            }

            return Do(AccessActions.TicketClosed, at.AddSeconds(30 + (views * 20)), customer, ticket);
        }

        /// <summary>Hours of ordinary work (about 8 views an hour), so the agent has a baseline.</summary>
        public Agent Baseline(DateTimeOffset from, int hours)
        {
            for (int h = 0; h < hours; h++)
            {
                for (int t = 0; t < 4; t++)
                {
                    Ticket(from.AddHours(h).AddMinutes(t * 14), $"base-{h}-{t}");
                }
            }

            return this;
        }

        public ScoreOutcome Score(MonitoringPolicy? policy = null)
        {
            ScoreOutcome outcome = RiskScorer.Apply(State, Pending.ToList(), Peers, policy ?? Policy);
            Pending.Clear();
            return outcome;
        }

        public IReadOnlyCollection<string> Reasons => State.Reasons.Keys;
    }

    [Fact]
    public void Viewing_customers_with_no_ticket_is_no_business_need()
    {
        var insider = new Agent();
        insider.Do(AccessActions.ViewRecord, Nine, "c1").Do(AccessActions.ViewRecord, Nine.AddMinutes(4), "c2").Do(AccessActions.ViewRecord, Nine.AddMinutes(8), "c3").Score();
        Assert.Empty(insider.Reasons); // provisional: a ticket may still reach the agent within the grace period
        insider.Do(AccessActions.Logout, Nine.AddMinutes(30)).Score();

        Assert.Equal([RiskReasons.NoBusinessNeed], insider.Reasons);
        Assert.Equal(3, insider.State.Reasons[RiskReasons.NoBusinessNeed].Count);
        Assert.Equal(3, insider.State.UnjustifiedCustomers.Count);

        // Next to it: the same customers with a ticket each, and a follow-up view shortly after one closed.
        var innocent = new Agent();
        innocent.Ticket(Nine, "c1").Ticket(Nine.AddMinutes(4), "c2").Ticket(Nine.AddMinutes(8), "c3")
            .Do(AccessActions.ViewRecord, Nine.AddMinutes(40), "c1").Score();

        Assert.Empty(innocent.Reasons);
        Assert.Equal(0, innocent.State.Score);
    }

    [Fact]
    public void An_hour_far_above_the_agents_own_baseline_is_unusual_volume()
    {
        var agent = new Agent().Baseline(Nine, 6);
        agent.Score();
        DateTimeOffset hour = Nine.AddHours(7);
        for (int t = 0; t < 12; t++)
        {
            agent.Ticket(hour.AddMinutes(t * 4.5), $"busy-{t}", views: 4);
        }

        agent.Score();

        Assert.Equal([RiskReasons.OwnVolume], agent.Reasons);
        Assert.Contains("48 record views in the hour from 16:00 UTC against a typical 8", agent.State.Reasons[RiskReasons.OwnVolume].Detail, StringComparison.Ordinal);

        var innocent = new Agent().Baseline(Nine, 6);
        for (int t = 0; t < 5; t++)
        {
            innocent.Ticket(hour.AddMinutes(t * 11), $"calm-{t}");
        }

        innocent.Score();
        Assert.Empty(innocent.Reasons);
    }

    [Fact]
    public void An_hour_far_above_the_site_peer_group_is_unusual_volume_against_peers()
    {
        static Agent WithPeers()
        {
            var a = new Agent("new.joiner@vendor.example");
            for (int p = 0; p < 20; p++)
            {
                a.Peers.TypicalViews[$"peer{p}@vendor.example"] = 7 + (p % 3);
            }

            return a;
        }

        // A new joiner has no baseline of their own yet: only the peer group can judge the hour.
        Agent agent = WithPeers();
        for (int t = 0; t < 10; t++)
        {
            agent.Ticket(Nine.AddMinutes(t * 5.5), $"c{t}", views: 3);
        }

        agent.Score();
        Assert.Equal([RiskReasons.PeerVolume], agent.Reasons);
        Assert.Contains("30 record views in the hour from 09:00 UTC against a site peer median of 8 per hour over 20 agents", agent.State.Reasons[RiskReasons.PeerVolume].Detail, StringComparison.Ordinal);

        Agent innocent = WithPeers();
        for (int t = 0; t < 4; t++)
        {
            innocent.Ticket(Nine.AddMinutes(t * 14), $"c{t}", views: 3);
        }

        innocent.Score();
        Assert.Empty(innocent.Reasons);
    }

    [Fact]
    public void Exports_and_screen_captures_are_each_a_reason_and_searching_is_not()
    {
        var exporter = new Agent();
        exporter.Do(AccessActions.Export, Nine, count: 250).Score();
        Assert.Equal([RiskReasons.Export], exporter.Reasons);

        var capturer = new Agent();
        capturer.Ticket(Nine, "c1").Do(AccessActions.ScreenCapture, Nine.AddMinutes(1), "c1").Score();
        Assert.Equal([RiskReasons.ScreenCapture], capturer.Reasons);

        var innocent = new Agent();
        innocent.Do(AccessActions.Login, Nine).Do(AccessActions.Search, Nine.AddMinutes(1), count: 3).Ticket(Nine.AddMinutes(2), "c1").Do(AccessActions.Logout, Nine.AddHours(1)).Score();
        Assert.Empty(innocent.Reasons);
    }

    [Fact]
    public void Access_outside_shift_hours_counts_every_access_but_scores_once_an_hour()
    {
        DateTimeOffset night = Nine.AddHours(14); // 23:00 UTC
        var agent = new Agent();
        agent.Ticket(night, "c1", views: 3).Ticket(night.AddMinutes(10), "c2", views: 3).Score();

        Assert.Equal([RiskReasons.OffShift], agent.Reasons);
        Assert.Equal(6, agent.State.Reasons[RiskReasons.OffShift].Count);
        // Scored once (then decaying a little over the next minutes), not six times.
        Assert.InRange(agent.State.Score, Policy.Weights.OffShift * 0.9, Policy.Weights.OffShift);

        var innocent = new Agent();
        innocent.Ticket(Nine, "c1", views: 3).Ticket(Nine.AddMinutes(10), "c2", views: 3).Score();
        Assert.Empty(innocent.Reasons);
    }

    [Fact]
    public void Many_distinct_customers_within_the_burst_window_is_a_burst_even_with_tickets()
    {
        var agent = new Agent();
        for (int c = 0; c < Policy.BurstCustomers; c++)
        {
            agent.Do(AccessActions.TicketAssigned, Nine, $"c{c}", $"T{c}");
        }

        for (int c = 0; c < Policy.BurstCustomers; c++)
        {
            agent.Do(AccessActions.ViewRecord, Nine.AddSeconds(30 + (c * 40)), $"c{c}");
        }

        agent.Score();
        Assert.Equal([RiskReasons.Burst], agent.Reasons);

        // The same customers over half an hour is ordinary work.
        var innocent = new Agent();
        for (int c = 0; c < Policy.BurstCustomers; c++)
        {
            innocent.Ticket(Nine.AddMinutes(c * 2.5), $"c{c}", views: 1);
        }

        innocent.Score();
        Assert.Empty(innocent.Reasons);
    }

    [Fact]
    public void The_score_halves_every_half_life_and_a_faded_reason_is_forgotten()
    {
        var agent = new Agent();
        for (int c = 0; c < 8; c++)
        {
            agent.Do(AccessActions.ViewRecord, Nine.AddMinutes(c), $"c{c}");
        }

        agent.Do(AccessActions.Login, Nine.AddMinutes(20)).Score(); // the grace period has passed: all eight count
        double before = agent.State.Score;
        Assert.InRange(before, 7.5 * Policy.Weights.NoBusinessNeed, 8 * Policy.Weights.NoBusinessNeed);

        agent.Do(AccessActions.Login, Nine.AddMinutes(20) + Policy.DecayHalfLife).Score();
        Assert.Equal(before / 2, agent.State.Score, 3);

        agent.Do(AccessActions.Login, Nine.AddMinutes(20) + (Policy.DecayHalfLife * 10)).Score();
        Assert.Empty(agent.Reasons);
        Assert.Empty(agent.State.UnjustifiedCustomers);
    }

    [Fact]
    public void A_moderate_signal_asks_first_and_corroboration_updates_the_stream_to_contain()
    {
        var agent = new Agent("ravi.k@vendor.example");
        // Twelve customers without a ticket over four hours: no burst, no single unusual hour, only the count adds up.
        for (int c = 0; c < 12; c++)
        {
            agent.Ticket(Nine.AddMinutes(c * 20), $"work-{c}").Do(AccessActions.ViewRecord, Nine.AddMinutes((c * 20) + 5), $"nw-{c}");
        }

        RiskAlert alert = agent.Do(AccessActions.Logout, Nine.AddHours(5)).Score().Alert!;

        Assert.Equal(RiskScorer.Source, alert.Source);
        Assert.Equal(RiskScorer.AlertId("ravi.k@vendor.example", 1, 0), alert.AlertId);
        Assert.Equal(new AlertSubject("ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1"), alert.Subject);
        Assert.Equal(Severities.Medium, alert.Severity); // an incident at the confirmation gate: access untouched
        Assert.InRange(alert.RiskScore, 40, 69.9);
        Assert.Equal(12, alert.AffectedRecords);
        Assert.Equal(["northwind-bank"], alert.ClientIds);
        Assert.StartsWith("cumulative-no-business-need: 12 customers without business need in 7 days, 12 in 30 days", alert.Indicators[0].Detail, StringComparison.Ordinal);
        Assert.Contains("asks first", alert.Indicators[0].Detail, StringComparison.Ordinal);

        // Ordinary work while the stream is open and the severity holds: no new alert.
        Assert.Null(agent.Ticket(Nine.AddHours(5).AddMinutes(5), "ok").Score().Alert);

        // An export on top of the customers without business need: corroborated, an update of the same stream that contains.
        RiskAlert update = agent.Do(AccessActions.ViewRecord, Nine.AddHours(5).AddMinutes(10), "nw-12").Do(AccessActions.Export, Nine.AddHours(5).AddMinutes(30), count: 900).Score().Alert!;
        Assert.Equal(RiskScorer.AlertId("ravi.k@vendor.example", 1, 1), update.AlertId);
        Assert.Equal(Severities.Critical, update.Severity);
        Assert.Contains("corroborated by export", update.Indicators[0].Detail, StringComparison.Ordinal);
        Assert.Contains(update.Indicators, i => i.Kind == "data-exfiltration" && i.Detail.StartsWith("export: 1 export", StringComparison.Ordinal));

        // Quiet for ten days: the 7-day window empties and the stream ends; the next harvest opens stream 2.
        DateTimeOffset later = Nine.AddDays(10);
        for (int c = 0; c < 12; c++)
        {
            agent.Do(AccessActions.ViewRecord, later.AddMinutes(c * 20), $"later-{c}");
        }

        Assert.Equal(RiskScorer.AlertId("ravi.k@vendor.example", 2, 0), agent.Do(AccessActions.Logout, later.AddHours(5)).Score().Alert!.AlertId);
    }

    [Fact]
    public void A_resent_batch_is_all_duplicates_and_changes_nothing()
    {
        var agent = new Agent();
        agent.Ticket(Nine, "c1").Do(AccessActions.ViewRecord, Nine.AddMinutes(5), "c9");
        var batch = agent.Pending.ToList();
        ScoreOutcome first = agent.Score();
        double score = agent.State.Score;

        ScoreOutcome again = RiskScorer.Apply(agent.State, batch, agent.Peers, Policy);

        Assert.Equal((5, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, 5), (again.Accepted, again.Duplicates));
        Assert.Equal(score, agent.State.Score);
        Assert.Equal(3, agent.State.Current!.Views);
    }

    [Fact]
    public void The_sample_policy_spells_out_the_monitoring_defaults()
    {
        // Compared as JSON: the policy holds lists, which records compare by reference.
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(ResponsePolicy.Default.Monitoring, ResponsePolicy.Json),
            System.Text.Json.JsonSerializer.Serialize(ResponsePolicy.Load(Repo.Path("samples/policy.json")).Monitoring, ResponsePolicy.Json));
    }

    [Fact]
    public void Monitoring_policy_errors_name_the_field()
    {
        var ex = Assert.Throws<PolicyException>(() => ResponsePolicy.Parse("""
            { "monitoring": { "alertThreshold": 0, "decayHalfLife": "00:00:00", "shiftHours": { "start": "06:00:00", "end": "06:00:00" },
              "minPeers": 1, "weights": { "export": -1 } } }
            """, "test"));

        foreach (string field in new[] { "monitoring.alertThreshold", "monitoring.closeBelow", "monitoring.decayHalfLife", "monitoring.shiftHours.end", "monitoring.minPeers", "monitoring.weights.export" })
        {
            Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        }

        Assert.Throws<PolicyException>(() => ResponsePolicy.Parse("""{ "monitoring": { "treshold": 50 } }""", "test"));
    }

    [Fact]
    public void A_view_stored_at_the_calendars_end_does_not_break_the_agents_later_scoring()
    {
        // State written before intake refused such times (a stored agent state outlives the fix): scoring on must not throw.
        var agent = new Agent();
        agent.Do(AccessActions.ViewRecord, new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero), "nw-cust-9").Score();

        Exception? thrown = Record.Exception(() => agent.Ticket(Nine, "nw-cust-1").Score());

        Assert.Null(thrown);
    }

    [Fact]
    public void A_busy_run_of_ticketed_calls_does_not_corroborate_a_few_lookups_without_a_ticket()
    {
        // Found by an attack: five lookups without a ticket, then an hour later twelve calls each with its ticket within ten
        // minutes (a burst of customers the agent had reason to open): the burst was taken as corroboration and contained.
        var innocent = new Agent();
        for (int c = 0; c < Policy.CorroborationMinCustomers; c++)
        {
            innocent.Do(AccessActions.ViewRecord, Nine.AddMinutes(c), $"lookup-{c}");
        }

        DateTimeOffset busy = Nine.AddHours(1);
        for (int c = 0; c < Policy.BurstCustomers; c++)
        {
            innocent.Do(AccessActions.TicketAssigned, busy.AddSeconds(c * 40), $"call-{c}", $"TK-{c}")
                .Do(AccessActions.ViewRecord, busy.AddSeconds((c * 40) + 5), $"call-{c}");
        }

        RiskAlert? alert = innocent.Do(AccessActions.Logout, busy.AddMinutes(30)).Score().Alert;

        Assert.Contains(RiskReasons.Burst, innocent.Reasons);
        Assert.NotEqual(Severities.Critical, alert?.Severity); // at most an incident that asks first

        // Next to it: the same lookups made in a burst of their own are corroborated, and contain.
        var harvester = new Agent();
        for (int c = 0; c < Policy.BurstCustomers; c++)
        {
            harvester.Do(AccessActions.ViewRecord, Nine.AddSeconds(c * 40), $"lookup-{c}");
        }

        RiskAlert contained = harvester.Do(AccessActions.Logout, Nine.AddMinutes(40)).Score().Alert!;
        Assert.Equal(Severities.Critical, contained.Severity);
        Assert.Contains("corroborated by a burst of 12 of them", contained.Indicators[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_clients_tickets_with_the_same_number_are_two_tickets()
    {
        // Found by an attack: contoso's ticket 1001 replaced northwind's 1001 in the agent's state, so follow-ups citing
        // northwind's tickets counted as citing another customer's ticket (an innocent agent, then contained on an export).
        var agent = new Agent();
        for (int c = 0; c < 5; c++)
        {
            agent.Pending.Add(agent.Event(AccessActions.TicketAssigned, Nine.AddMinutes(c), $"nw-{c}", $"{1001 + c}", client: "northwind-bank"));
            agent.Pending.Add(agent.Event(AccessActions.ViewRecord, Nine.AddMinutes(c).AddSeconds(20), $"nw-{c}", client: "northwind-bank"));
        }

        for (int c = 0; c < 5; c++)
        {
            agent.Pending.Add(agent.Event(AccessActions.TicketAssigned, Nine.AddMinutes(10 + c), $"cp-{c}", $"{1001 + c}", client: "contoso-pay"));
        }

        for (int c = 0; c < 5; c++)
        {
            agent.Pending.Add(agent.Event(AccessActions.ViewRecord, Nine.AddMinutes(20 + c), $"nw-{c}", $"{1001 + c}", client: "northwind-bank"));
        }

        ScoreOutcome outcome = agent.Do(AccessActions.Logout, Nine.AddHours(1)).Score();

        Assert.Empty(agent.Reasons);
        Assert.Null(outcome.Alert);
    }

    [Fact]
    public void A_view_naming_its_ticket_a_batch_before_the_ticket_arrives_is_work_and_a_ticket_that_never_comes_is_a_mismatch()
    {
        // Found by an attack: the tool stamps the ticket on the view and the ticket's own event comes in the next batch;
        // each such view was a mismatch at once, and one routine export then contained the agent.
        var agent = new Agent();
        for (int c = 0; c < 5; c++)
        {
            DateTimeOffset call = Nine.AddMinutes(c * 3);
            agent.Do(AccessActions.ViewRecord, call, $"cust-{c}", $"TK-{c}").Score();
            agent.Do(AccessActions.TicketAssigned, call.AddSeconds(30), $"cust-{c}", $"TK-{c}").Score();
        }

        RiskAlert? alert = agent.Do(AccessActions.Export, Nine.AddMinutes(20), count: 3).Do(AccessActions.Logout, Nine.AddHours(1)).Score().Alert;

        Assert.DoesNotContain(RiskReasons.TicketMismatch, agent.Reasons);
        Assert.Empty(agent.State.UnjustifiedCustomers);
        Assert.Null(alert);

        // Next to it: views naming tickets that never arrive are mismatches once the grace has passed.
        var faker = new Agent();
        for (int c = 0; c < 5; c++)
        {
            faker.Do(AccessActions.ViewRecord, Nine.AddMinutes(c * 3), $"cust-{c}", $"FAKE-{c}");
        }

        faker.Do(AccessActions.Logout, Nine.AddHours(1)).Score();
        Assert.Equal(5, faker.State.Reasons[RiskReasons.TicketMismatch].Count);
        Assert.Contains("does not exist", faker.State.Reasons[RiskReasons.TicketMismatch].Detail, StringComparison.Ordinal);
        Assert.Equal(5, faker.State.UnjustifiedCustomers.Count);
    }

    [Fact]
    public void Past_the_open_ticket_limit_the_longest_open_ticket_is_forgotten_not_the_newest()
    {
        var agent = new Agent();
        for (int c = 0; c < 500; c++)
        {
            agent.Do(AccessActions.TicketAssigned, Nine, $"c{c}", $"T{c}");
        }

        agent.Do(AccessActions.TicketClosed, Nine.AddMinutes(1), "c0", "T0").Score();
        DateTimeOffset later = Nine.AddHours(2); // T0's follow-up grace has passed: it is forgotten and its slot freed
        agent.Do(AccessActions.Login, later)
            .Do(AccessActions.TicketAssigned, later.AddMinutes(1), "new-caller", "T500")
            .Do(AccessActions.TicketAssigned, later.AddMinutes(2), "c501", "T501")
            .Do(AccessActions.ViewRecord, later.AddMinutes(3), "new-caller")
            .Do(AccessActions.Logout, later.AddHours(1)).Score();

        Assert.DoesNotContain(RiskReasons.NoBusinessNeed, agent.Reasons);
    }
}
