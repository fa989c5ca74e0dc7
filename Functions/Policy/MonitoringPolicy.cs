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

    /// <summary>The site's shift hours (UTC time of day; an end before the start wraps past midnight).</summary>
    public ShiftHours ShiftHours { get; init; } = new();

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

    public MonitoringWeights Weights { get; init; } = new();

    internal void Validate(List<string> errors)
    {
        const string p = "monitoring.";
        if (AlertThreshold is <= 0 or > 100 || double.IsNaN(AlertThreshold))
        {
            errors.Add(p + "alertThreshold must be above 0 and at most 100");
        }

        if (CloseBelow < 0 || CloseBelow >= AlertThreshold || double.IsNaN(CloseBelow))
        {
            errors.Add(p + "closeBelow must be at least 0 and below alertThreshold");
        }

        if (DecayHalfLife <= TimeSpan.Zero)
        {
            errors.Add(p + "decayHalfLife must be positive");
        }

        ShiftHours.Validate(p + "shiftHours", errors);
        if (BaselineWindow < TimeSpan.FromHours(1))
        {
            errors.Add(p + "baselineWindow must be at least one hour");
        }

        if (MinBaselineHours < 1)
        {
            errors.Add(p + "minBaselineHours must be at least 1");
        }

        if (VolumeZ <= 0 || double.IsNaN(VolumeZ))
        {
            errors.Add(p + "volumeZ must be positive");
        }

        if (PeerZ <= 0 || double.IsNaN(PeerZ))
        {
            errors.Add(p + "peerZ must be positive");
        }

        if (MinHourlyVolume < 1)
        {
            errors.Add(p + "minHourlyVolume must be at least 1");
        }

        if (MinPeers < 2)
        {
            errors.Add(p + "minPeers must be at least 2");
        }

        if (TicketGrace < TimeSpan.Zero)
        {
            errors.Add(p + "ticketGrace must not be negative");
        }

        if (BurstCustomers < 2)
        {
            errors.Add(p + "burstCustomers must be at least 2");
        }

        if (BurstWindow <= TimeSpan.Zero)
        {
            errors.Add(p + "burstWindow must be positive");
        }

        Weights.Validate(p + "weights", errors);
    }
}

/// <summary>Shift hours in UTC; activity outside them counts as off-shift.</summary>
public sealed record ShiftHours
{
    public TimeSpan Start { get; init; } = TimeSpan.FromHours(6);

    public TimeSpan End { get; init; } = TimeSpan.FromHours(22);

    public bool Contains(DateTimeOffset at)
    {
        TimeSpan t = at.UtcDateTime.TimeOfDay;
        return Start < End ? t >= Start && t < End : t >= Start || t < End;
    }

    internal void Validate(string path, List<string> errors)
    {
        if (Start < TimeSpan.Zero || Start >= TimeSpan.FromDays(1))
        {
            errors.Add(path + ".start must be a time of day 00:00:00..23:59:59");
        }

        if (End < TimeSpan.Zero || End >= TimeSpan.FromDays(1))
        {
            errors.Add(path + ".end must be a time of day 00:00:00..23:59:59");
        }

        if (Start == End)
        {
            errors.Add(path + ".end must differ from start");
        }
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

    internal void Validate(string path, List<string> errors)
    {
        foreach (var (name, value) in new[]
        {
            ("noBusinessNeed", NoBusinessNeed), ("ownVolume", OwnVolume), ("peerVolume", PeerVolume), ("export", Export),
            ("screenCapture", ScreenCapture), ("offShift", OffShift), ("burst", Burst),
        })
        {
            if (value < 0 || value > 1000 || double.IsNaN(value))
            {
                errors.Add($"{path}.{name} must be 0..1000");
            }
        }
    }
}
