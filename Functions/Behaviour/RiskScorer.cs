using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cordon.Alerts;
using Cordon.Policy;

namespace Cordon.Behaviour;

/// <summary>The reasons the monitor can give; each becomes an indicator of the alert it raises.</summary>
public static class RiskReasons
{
    public const string NoBusinessNeed = "no-business-need";
    public const string OwnVolume = "volume-vs-own-baseline";
    public const string PeerVolume = "volume-vs-peer-group";
    public const string Export = "export";
    public const string ScreenCapture = "screen-capture";
    public const string OffShift = "off-shift";
    public const string Burst = "burst-across-customers";

    /// <summary>The RiskAlert indicator kind each reason is reported as.</summary>
    public static string IndicatorKind(string reason) => reason switch
    {
        Export => "data-exfiltration",
        ScreenCapture => "screen-capture",
        OffShift => "off-hours-access",
        _ => "mass-record-access",
    };
}

/// <summary>What scoring a batch of one agent's events did.</summary>
public sealed record ScoreOutcome(int Accepted, int Duplicates, RiskAlert? Alert, double? TypicalViews);

/// <summary>
/// Explainable scoring of one agent's access events. Every point has a named reason; the score
/// decays by the policy's half-life, measured on event time (the telemetry's clock, never the
/// wall clock), so replaying a day of telemetry in seconds scores exactly as living through it.
/// </summary>
public static class RiskScorer
{
    public const string Source = "cordon-monitor";

    /// <summary>Points below this no longer explain anything: the reason is forgotten.</summary>
    const double Negligible = 0.5;
    const int RecentViewLimit = 1000;
    const int TicketLimit = 500;

    public static ScoreOutcome Apply(AgentState state, IEnumerable<AccessEvent> events, PeerGroup peers, MonitoringPolicy policy)
    {
        var seen = new HashSet<string>(state.SeenEventIds, StringComparer.Ordinal);
        int accepted = 0, duplicates = 0;
        bool rolled = false;
        RiskAlert? alert = null;
        foreach (AccessEvent e in events.OrderBy(e => e.OccurredAt))
        {
            string id = Fingerprint(e.EventId);
            if (!seen.Add(id))
            {
                duplicates++;
                continue;
            }

            accepted++;
            state.SeenEventIds.Add(id);
            if (state.UserPrincipalName.Length == 0)
            {
                state.UserPrincipalName = e.Agent.UserPrincipalName;
            }

            state.VendorId = e.Agent.VendorId;
            state.SiteId = e.Agent.SiteId;

            // A late event is scored at the clock's current time: the score never runs backwards.
            DateTimeOffset now = state.LastAt is { } last && e.OccurredAt < last ? last : e.OccurredAt;
            Decay(state, now, policy);
            rolled |= Roll(state, Hour(e.OccurredAt), policy);
            Observe(state, e, peers, policy);
            alert = Evaluate(state, now, policy) ?? alert;
        }

        if (alert is not null && state.StreamOpen)
        {
            // One alert per batch, explained by everything the batch showed, not just the event that crossed.
            alert = BuildAlert(state, state.LastAt!.Value);
        }

        if (state.SeenEventIds.Count > AgentState.SeenIdLimit)
        {
            state.SeenEventIds.RemoveRange(0, state.SeenEventIds.Count - AgentState.SeenIdLimit);
        }

        double? typical = rolled && state.Baseline.Count >= policy.MinBaselineHours ? Median(state.Baseline.Select(b => (double)b.Views).ToList()) : null;
        return new ScoreOutcome(accepted, duplicates, alert, typical);
    }

    /// <summary>The alert id of an agent's n-th stream (and its m-th update): deterministic, so a retried batch re-sends the same alert and intake dedupes it.</summary>
    public static string AlertId(string userPrincipalName, int stream, int update)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SubjectIdentity.Canonical(userPrincipalName))))[..12];
        string id = $"mon-{hash}-{stream.ToString(CultureInfo.InvariantCulture)}";
        return update == 0 ? id : $"{id}-u{update.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// State keeps 64-bit fingerprints, not the ids: bounded size whatever the producer's id lengths,
    /// and no customer identifiers at rest in the monitor's store (only equality is ever needed).
    /// </summary>
    static string Fingerprint(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 8));

    static DateTimeOffset Hour(DateTimeOffset t)
    {
        DateTime u = t.UtcDateTime;
        return new DateTimeOffset(u.Year, u.Month, u.Day, u.Hour, 0, 0, TimeSpan.Zero);
    }

    static void Decay(AgentState s, DateTimeOffset now, MonitoringPolicy policy)
    {
        if (s.LastAt is { } last && now > last)
        {
            double factor = Math.Pow(0.5, (now - last) / policy.DecayHalfLife);
            s.Score *= factor;
            foreach (var (name, tally) in s.Reasons.ToList())
            {
                tally.Points *= factor;
                if (tally.Points < Negligible)
                {
                    s.Reasons.Remove(name);
                    if (name == RiskReasons.NoBusinessNeed)
                    {
                        s.UnjustifiedCustomers.Clear();
                    }
                }
            }

            if (s.StreamOpen && s.Score < policy.CloseBelow)
            {
                s.StreamOpen = false;
                s.StreamSeverity = null;
            }
        }

        s.LastAt = now;
    }

    /// <summary>Closes the current hour into the baseline when a later hour starts; true when it did.</summary>
    static bool Roll(AgentState s, DateTimeOffset hour, MonitoringPolicy policy)
    {
        if (s.Current is null)
        {
            s.Current = new HourBucket { Hour = hour };
            return false;
        }

        if (hour <= s.Current.Hour)
        {
            return false;
        }

        if (s.Current.Views + s.Current.Searches + s.Current.Exports > 0)
        {
            s.Baseline.Add(s.Current);
        }

        s.Baseline.RemoveAll(b => b.Hour < hour - policy.BaselineWindow);
        s.Current = new HourBucket { Hour = hour };
        return true;
    }

    static void Observe(AgentState s, AccessEvent e, PeerGroup peers, MonitoringPolicy policy)
    {
        s.RememberClient(e.ClientId);
        // An event from an hour already closed still has a business need or not, but is no evidence about this hour's volume.
        HourBucket hour = e.OccurredAt >= s.Current!.Hour ? s.Current : new HourBucket { Hour = Hour(e.OccurredAt) };
        switch (e.Action)
        {
            case AccessActions.TicketAssigned:
                s.Tickets[Fingerprint(e.TicketId!)] = new Ticket(Fingerprint(e.CustomerId!), null);
                break;
            case AccessActions.TicketClosed:
                s.Tickets[Fingerprint(e.TicketId!)] = new Ticket(Fingerprint(e.CustomerId!), e.OccurredAt);
                break;
            case AccessActions.Search:
                hour.Searches += e.Count;
                OffShift(s, e, policy);
                OwnVolume(s, hour, "searches", hour.Searches, b => b.Searches, e.OccurredAt, policy);
                break;
            case AccessActions.ViewRecord:
                hour.Views += e.Count;
                OffShift(s, e, policy);
                BusinessNeed(s, e, policy);
                Burst(s, e, policy);
                OwnVolume(s, hour, "record views", hour.Views, b => b.Views, e.OccurredAt, policy);
                PeerVolume(s, hour, peers, e.OccurredAt, policy);
                break;
            case AccessActions.Export:
                hour.Exports++;
                OffShift(s, e, policy);
                Add(s, RiskReasons.Export, policy.Weights.Export, 1, e.OccurredAt,
                    c => $"{c} export{(c == 1 ? "" : "s")} from the support tool (last: {e.Count} records of client {e.ClientId})");
                break;
            case AccessActions.ScreenCapture:
                OffShift(s, e, policy);
                Add(s, RiskReasons.ScreenCapture, policy.Weights.ScreenCapture, 1, e.OccurredAt,
                    c => $"{c} screen capture{(c == 1 ? "" : "s")} of customer data");
                break;
        }

        ForgetOldTickets(s, e.OccurredAt, policy);
    }

    static void BusinessNeed(AgentState s, AccessEvent e, MonitoringPolicy policy)
    {
        string customer = Fingerprint(e.CustomerId!);
        bool need = s.Tickets.Values.Any(t => t.CustomerId == customer && (t.ClosedAt is null || t.ClosedAt.Value + policy.TicketGrace >= e.OccurredAt));
        if (!need && s.AddUnjustifiedCustomer(customer))
        {
            Add(s, RiskReasons.NoBusinessNeed, policy.Weights.NoBusinessNeed, 1, e.OccurredAt,
                _ => $"viewed records of {s.UnjustifiedCustomers.Count} customer{(s.UnjustifiedCustomers.Count == 1 ? "" : "s")} with no open ticket for them");
        }
    }

    static void Burst(AgentState s, AccessEvent e, MonitoringPolicy policy)
    {
        s.RecentViews.Add(new RecentView(Fingerprint(e.CustomerId!), e.OccurredAt));
        s.RecentViews.RemoveAll(v => v.At < e.OccurredAt - policy.BurstWindow);
        if (s.RecentViews.Count > RecentViewLimit)
        {
            s.RecentViews.RemoveRange(0, s.RecentViews.Count - RecentViewLimit);
        }

        int distinct = s.RecentViews.Select(v => v.CustomerId).Distinct(StringComparer.Ordinal).Count();
        if (distinct >= policy.BurstCustomers && (s.LastBurstAt is null || e.OccurredAt - s.LastBurstAt.Value >= policy.BurstWindow))
        {
            s.LastBurstAt = e.OccurredAt;
            Add(s, RiskReasons.Burst, policy.Weights.Burst, 1, e.OccurredAt,
                c => $"{distinct} distinct customers viewed within {Minutes(policy.BurstWindow)} ({c} burst{(c == 1 ? "" : "s")})");
        }
    }

    static void OffShift(AgentState s, AccessEvent e, MonitoringPolicy policy)
    {
        if (policy.ShiftHours.Contains(e.OccurredAt) || policy.Weights.OffShift <= 0)
        {
            return;
        }

        // Points once per hour, every access counted: finishing a ticket after hours is not a night of harvesting.
        HourBucket hour = s.Current!;
        hour.OffShift++;
        bool first = !hour.Flagged.Contains(RiskReasons.OffShift);
        if (first)
        {
            hour.Flagged.Add(RiskReasons.OffShift);
        }

        Add(s, RiskReasons.OffShift, first ? policy.Weights.OffShift : 0, 1, e.OccurredAt,
            c => $"{c} data access{(c == 1 ? "" : "es")} outside shift hours {policy.ShiftHours.Start:hh\\:mm}–{policy.ShiftHours.End:hh\\:mm} UTC");
    }

    static void OwnVolume(AgentState s, HourBucket hour, string what, int count, Func<HourBucket, int> metric, DateTimeOffset at, MonitoringPolicy policy)
    {
        if (count < policy.MinHourlyVolume || s.Baseline.Count < policy.MinBaselineHours)
        {
            return;
        }

        string flag = RiskReasons.OwnVolume + ":" + what;
        (double median, double z) = RobustZ(count, s.Baseline.Select(b => (double)metric(b)).ToList());
        string Detail(int c) => $"{count} {what} in the hour from {hour.Hour:HH\\:mm} UTC against a typical {median:0.#} for this agent (robust z {z:0.0}; {c} unusual hour{(c == 1 ? "" : "s")})";
        if (hour.Flagged.Contains(flag))
        {
            // Already counted this hour: only the explanation grows with the hour.
            Add(s, RiskReasons.OwnVolume, 0, 0, at, Detail);
        }
        else if (z >= policy.VolumeZ)
        {
            hour.Flagged.Add(flag);
            Add(s, RiskReasons.OwnVolume, policy.Weights.OwnVolume, 1, at, Detail);
        }
    }

    static void PeerVolume(AgentState s, HourBucket hour, PeerGroup peers, DateTimeOffset at, MonitoringPolicy policy)
    {
        int views = hour.Views;
        if (views < policy.MinHourlyVolume)
        {
            return;
        }

        var values = peers.TypicalViews.Where(p => p.Key != SubjectIdentity.Canonical(s.UserPrincipalName)).Select(p => p.Value).ToList();
        if (values.Count < policy.MinPeers)
        {
            return;
        }

        (double median, double z) = RobustZ(views, values);
        string Detail(int c) => $"{views} record views in the hour from {hour.Hour:HH\\:mm} UTC against a site peer median of {median:0.#} per hour over {values.Count} agents (robust z {z:0.0}; {c} unusual hour{(c == 1 ? "" : "s")})";
        if (hour.Flagged.Contains(RiskReasons.PeerVolume))
        {
            Add(s, RiskReasons.PeerVolume, 0, 0, at, Detail);
        }
        else if (z >= policy.PeerZ)
        {
            hour.Flagged.Add(RiskReasons.PeerVolume);
            Add(s, RiskReasons.PeerVolume, policy.Weights.PeerVolume, 1, at, Detail);
        }
    }

    /// <summary>Median-and-MAD z-score: one wild hour in the baseline does not hide the next one.</summary>
    static (double Median, double Z) RobustZ(double x, List<double> values)
    {
        double median = Median(values);
        double mad = Median(values.Select(v => Math.Abs(v - median)).ToList());
        // A floor on the spread: a very regular agent (MAD 0) is not flagged for one extra record.
        double scale = Math.Max(1.4826 * mad, Math.Max(1, 0.1 * median));
        return (median, (x - median) / scale);
    }

    static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        int mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    static void Add(AgentState s, string reason, double points, int count, DateTimeOffset at, Func<int, string> detail)
    {
        // A reason weighted 0 is switched off; 0 points on a live reason only update its count.
        if (points < 0 || (points == 0 && !s.Reasons.ContainsKey(reason)))
        {
            return;
        }

        if (!s.Reasons.TryGetValue(reason, out ReasonTally? tally))
        {
            tally = new ReasonTally();
            s.Reasons[reason] = tally;
        }

        tally.Points += points;
        tally.Count += count;
        tally.LastAt = at;
        tally.Detail = detail(tally.Count);
        s.Score += points;
    }

    static RiskAlert? Evaluate(AgentState s, DateTimeOffset now, MonitoringPolicy policy)
    {
        string severity = Severities.FromScore(Math.Min(100, s.Score));
        if (!s.StreamOpen && s.Score >= policy.AlertThreshold)
        {
            s.Stream++;
            s.StreamOpen = true;
            s.StreamUpdates = 0;
            s.StreamSeverity = severity;
            return BuildAlert(s, now);
        }

        if (s.StreamOpen && s.StreamSeverity is not null && Severities.Rank(severity) > Severities.Rank(s.StreamSeverity))
        {
            // Same stream, higher severity: a new alert id, so intake merges it into the open incident.
            s.StreamUpdates++;
            s.StreamSeverity = severity;
            return BuildAlert(s, now);
        }

        return null;
    }

    static RiskAlert BuildAlert(AgentState s, DateTimeOffset now)
    {
        double score = Math.Round(Math.Min(100, s.Score), 1);
        var indicators = s.Reasons
            .OrderByDescending(r => r.Value.Points)
            .Select(r => new Indicator(RiskReasons.IndicatorKind(r.Key), $"{r.Key}: {r.Value.Detail}", r.Value.Count, r.Value.LastAt))
            .ToList();
        return new RiskAlert(
            "1.0", AlertId(s.UserPrincipalName, s.Stream, s.StreamUpdates), Source, now,
            new AlertSubject(s.UserPrincipalName, s.VendorId, s.SiteId),
            score, Severities.FromScore(score), indicators, [.. s.ClientIds], s.UnjustifiedCustomers.Count, []);
    }

    static void ForgetOldTickets(AgentState s, DateTimeOffset now, MonitoringPolicy policy)
    {
        foreach (var (id, ticket) in s.Tickets.Where(t => t.Value.ClosedAt is { } closed && closed + policy.TicketGrace < now).ToList())
        {
            s.Tickets.Remove(id);
        }

        if (s.Tickets.Count > TicketLimit)
        {
            // Tickets never closed: forget some rather than grow without bound.
            foreach (string id in s.Tickets.Keys.Take(s.Tickets.Count - TicketLimit).ToList())
            {
                s.Tickets.Remove(id);
            }
        }
    }

    static string Minutes(TimeSpan span) => $"{span.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min";
}
