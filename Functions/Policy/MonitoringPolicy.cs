using Cordon.Alerts;

namespace Cordon.Policy;

/// <summary>
/// How the behaviour monitor scores access telemetry (the policy's "monitoring" section): each
/// reason adds its weight to an agent's score, the score halves every <see cref="DecayHalfLife"/>,
/// and crossing <see cref="AlertThreshold"/> raises a RiskAlert.
/// </summary>
public sealed record MonitoringPolicy
{
    /// <summary>Score at which the monitor raises an alert for the agent.</summary>
    public double AlertThreshold { get; init; } = 60;

    /// <summary>An agent's alert stream ends when the decayed score falls below this; the next crossing opens a new one.</summary>
    public double CloseBelow { get; init; } = 20;

    public TimeSpan DecayHalfLife { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// The usual working hours of a site with no learned pattern yet, in the site's local time (its world
    /// <c>timeZone</c>, UTC when it declares none; an end before the start wraps past midnight). Once agents
    /// have history, off-shift means outside the agent's own learned hours (a new agent: the site's).
    /// </summary>
    public ShiftHours ShiftHours { get; init; } = new();

    /// <summary>
    /// Calls open the record before the ticket reaches the agent: a view with no ticket stays provisional this
    /// long and is justified when a ticket for that customer arrives in time; only views still unjustified count.
    /// </summary>
    public double TicketGraceMinutes { get; init; } = 10;

    /// <summary>
    /// How far a client's ticket events may trail its access events (a separate ticket feed, a lagging queue). A view is
    /// judged once that client's ticket events at the site have reached past its grace, or at the latest this long after
    /// the grace, whatever the ticket feed says: up to this lag a late ticket still justifies the view; a harvest of a
    /// client whose ticket feed has gone quiet is counted this much later. 0: judged at the grace, on the agent's own clock.
    /// </summary>
    public double TicketFeedLagMinutes { get; init; } = 60;

    /// <summary>World roles whose views carrying another agent's ticket id (of that customer) are reviews, not harvesting.</summary>
    public IReadOnlyList<string> ReviewerRoles { get; init; } = ["qa", "team-lead", "escalation"];

    /// <summary>Local days of per-agent history kept (customers without business need, views, active hours).</summary>
    public int HistoryDays { get; init; } = 35;

    /// <summary>Distinct customers viewed without business need over 7 days that raise an alert (when also above the peer group and own history).</summary>
    public int HarvestAlertFloor { get; init; } = 12;

    /// <summary>The same over 30 days: a slower harvest.</summary>
    public int SlowHarvestAlertFloor { get; init; } = 24;

    /// <summary>
    /// Distinct customers without business need over 30 days from which a monitor alert is strong enough to
    /// contain on its own (severity <see cref="StrongSeverity"/>); below it, only corroboration makes an alert strong.
    /// </summary>
    public int ContainAtUnjustifiedCustomers { get; init; } = 30;

    /// <summary>Customers without business need in the live episode that, with an export, a screen capture or a burst, corroborate each other.</summary>
    public int CorroborationMinCustomers { get; init; } = 5;

    /// <summary>A short-term score opens an alert only with this many customers without business need in the episode (or a capture or a ticket mismatch): volume and off-shift alone never do.</summary>
    public int AlertMinCustomers { get; init; } = 3;

    /// <summary>Severity of an alert with strong evidence (at or above the response policy's autoContainAtOrAbove, it contains).</summary>
    public string StrongSeverity { get; init; } = Severities.Critical;

    /// <summary>Severity of every other monitor alert: an incident at the confirmation gate, access untouched.</summary>
    public string ModerateSeverity { get; init; } = Severities.Medium;

    /// <summary>A local hour is one of the agent's own working hours when it (or a neighbour) was active on this share of its active days.</summary>
    public double UsualHourShare { get; init; } = 0.2;

    /// <summary>Active days an agent needs before its own hours are used; before that, the site's (its peers').</summary>
    public int MinHistoryDays { get; init; } = 3;

    /// <summary>A local hour is one of the site's working hours when this share of the peer group works it.</summary>
    public double SiteHourShare { get; init; } = 0.05;

    /// <summary>How far back the agent's own hourly baseline reaches.</summary>
    public TimeSpan BaselineWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Active hours an agent needs in its baseline before volume is judged against it.</summary>
    public int MinBaselineHours { get; init; } = 4;

    /// <summary>Robust z-score (median/MAD) at which an hour's volume is unusual for the agent.</summary>
    public double VolumeZ { get; init; } = 3.5;

    /// <summary>Robust z-score at which an hour's record views are unusual for the site's peer group.</summary>
    public double PeerZ { get; init; } = 3.5;

    /// <summary>Below this many records viewed (or searches) in an hour, volume is never unusual.</summary>
    public int MinHourlyVolume { get; init; } = 20;

    /// <summary>Agents with a baseline the site needs before the peer comparison applies.</summary>
    public int MinPeers { get; init; } = 5;

    /// <summary>A closed ticket still justifies views of its customer for this long (follow-up work).</summary>
    public TimeSpan TicketGrace { get; init; } = TimeSpan.FromHours(1);

    /// <summary>This many distinct customers viewed within <see cref="BurstWindow"/> is a burst.</summary>
    public int BurstCustomers { get; init; } = 12;

    public TimeSpan BurstWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Event ids are remembered this long (event time, at most 5,000 per agent): a batch resent within it changes nothing.
    /// An event older than the agent's clock by more than this cannot be recognised as a resend.
    /// </summary>
    public TimeSpan DedupeWindow { get; init; } = TimeSpan.FromHours(24);

    public MonitoringWeights Weights { get; init; } = new();

    internal void Validate(List<string> errors)
    {
        const string p = "monitoring.";
        errors.AddIf(AlertThreshold is <= 0 or > 100 || double.IsNaN(AlertThreshold), p + "alertThreshold must be above 0 and at most 100");
        errors.AddIf(CloseBelow < 0 || CloseBelow >= AlertThreshold || double.IsNaN(CloseBelow), p + "closeBelow must be at least 0 and below alertThreshold");
        // Every span is bounded: the monitor adds them to event times (a span past the calendar would throw on each batch).
        errors.AddIf(DecayHalfLife <= TimeSpan.Zero || DecayHalfLife > ResponsePolicy.MaxSpan, p + "decayHalfLife must be positive (at most 400 days)");
        ShiftHours.Validate(p + "shiftHours", errors);
        errors.AddIf(BaselineWindow < TimeSpan.FromHours(1) || BaselineWindow > ResponsePolicy.MaxSpan, p + "baselineWindow must be at least one hour (at most 400 days)");
        errors.AddIf(MinBaselineHours < 1, p + "minBaselineHours must be at least 1");
        errors.AddIf(VolumeZ <= 0 || double.IsNaN(VolumeZ), p + "volumeZ must be positive");
        errors.AddIf(PeerZ <= 0 || double.IsNaN(PeerZ), p + "peerZ must be positive");
        errors.AddIf(MinHourlyVolume < 1, p + "minHourlyVolume must be at least 1");
        errors.AddIf(MinPeers < 2, p + "minPeers must be at least 2");
        errors.AddIf(TicketGrace < TimeSpan.Zero || TicketGrace > ResponsePolicy.MaxSpan, p + "ticketGrace must not be negative (at most 400 days)");
        errors.AddIf(BurstCustomers < 2, p + "burstCustomers must be at least 2");
        errors.AddIf(BurstWindow <= TimeSpan.Zero || BurstWindow > ResponsePolicy.MaxSpan, p + "burstWindow must be positive (at most 400 days)");
        errors.AddIf(DedupeWindow < TimeSpan.FromMinutes(10) || DedupeWindow > ResponsePolicy.MaxSpan, p + "dedupeWindow must be at least 10 minutes (at most 400 days)");
        errors.AddIf(TicketGraceMinutes is < 0 or > 1440 || double.IsNaN(TicketGraceMinutes), p + "ticketGraceMinutes must be 0..1440");
        errors.AddIf(TicketFeedLagMinutes is < 0 or > 1440 || double.IsNaN(TicketFeedLagMinutes), p + "ticketFeedLagMinutes must be 0..1440");
        foreach (string role in ReviewerRoles ?? [])
        {
            errors.AddIf(!AgentRoles.All.Contains(role), $"{p}reviewerRoles: \"{role}\" is not one of {string.Join(", ", AgentRoles.All)}");
        }

        errors.AddIf(HistoryDays is < 30 or > 400, p + "historyDays must be 30..400 (the slow harvest is judged over 30 days)");
        foreach (var (name, value) in new[]
        {
            ("harvestAlertFloor", HarvestAlertFloor), ("slowHarvestAlertFloor", SlowHarvestAlertFloor), ("containAtUnjustifiedCustomers", ContainAtUnjustifiedCustomers),
            ("corroborationMinCustomers", CorroborationMinCustomers), ("alertMinCustomers", AlertMinCustomers), ("minHistoryDays", MinHistoryDays),
        })
        {
            errors.AddIf(value < 1, $"{p}{name} must be at least 1");
        }

        errors.AddIf(!Severities.IsKnown(StrongSeverity), p + "strongSeverity must be low, medium, high or critical");
        errors.AddIf(!Severities.IsKnown(ModerateSeverity), p + "moderateSeverity must be low, medium, high or critical");
        errors.AddIf(Severities.IsKnown(StrongSeverity) && Severities.IsKnown(ModerateSeverity) && Severities.Rank(ModerateSeverity) > Severities.Rank(StrongSeverity),
            p + "moderateSeverity must not be above strongSeverity");
        errors.AddIf(UsualHourShare is <= 0 or > 1 || double.IsNaN(UsualHourShare), p + "usualHourShare must be above 0 and at most 1");
        errors.AddIf(SiteHourShare is <= 0 or > 1 || double.IsNaN(SiteHourShare), p + "siteHourShare must be above 0 and at most 1");
        Weights.Validate(p + "weights", errors);
    }
}

/// <summary>Hours of the day (local time of the site); the fallback pattern of a site with no learned hours.</summary>
public sealed record ShiftHours
{
    public TimeSpan Start { get; init; } = TimeSpan.FromHours(6);

    public TimeSpan End { get; init; } = TimeSpan.FromHours(22);

    public bool Contains(DateTimeOffset at) => Contains(at.UtcDateTime.TimeOfDay);

    public bool Contains(TimeSpan timeOfDay) =>
        Start < End ? timeOfDay >= Start && timeOfDay < End : timeOfDay >= Start || timeOfDay < End;

    internal void Validate(string path, List<string> errors)
    {
        errors.AddIf(Start < TimeSpan.Zero || Start >= TimeSpan.FromDays(1), path + ".start must be a time of day 00:00:00..23:59:59");
        errors.AddIf(End < TimeSpan.Zero || End >= TimeSpan.FromDays(1), path + ".end must be a time of day 00:00:00..23:59:59");
        errors.AddIf(Start == End, path + ".end must differ from start");
    }
}

/// <summary>Points each reason adds to the score (per customer, per unusual hour, per event or per burst).</summary>
public sealed record MonitoringWeights
{
    /// <summary>Per distinct customer whose record was viewed with no open ticket for that customer.</summary>
    public double NoBusinessNeed { get; init; } = 5;

    /// <summary>Per hour whose volume is unusual against the agent's own baseline.</summary>
    public double OwnVolume { get; init; } = 20;

    /// <summary>Per hour whose record views are unusual against the site's peer group.</summary>
    public double PeerVolume { get; init; } = 8;

    public double Export { get; init; } = 8;

    public double ScreenCapture { get; init; } = 8;

    /// <summary>Per hour with data access (search, view, export, capture) outside the shift hours.</summary>
    public double OffShift { get; init; } = 15;

    public double Burst { get; init; } = 20;

    /// <summary>Per view carrying a ticket id that does not exist or belongs to another customer.</summary>
    public double TicketMismatch { get; init; } = 15;

    internal void Validate(string path, List<string> errors)
    {
        foreach (var (name, value) in new[]
        {
            ("noBusinessNeed", NoBusinessNeed), ("ownVolume", OwnVolume), ("peerVolume", PeerVolume), ("export", Export),
            ("screenCapture", ScreenCapture), ("offShift", OffShift), ("burst", Burst), ("ticketMismatch", TicketMismatch),
        })
        {
            errors.AddIf(value < 0 || value > 1000 || double.IsNaN(value), $"{path}.{name} must be 0..1000");
        }
    }
}
