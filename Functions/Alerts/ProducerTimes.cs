namespace Cordon.Alerts;

/// <summary>
/// The range of times a producer (a DLP, a detector, a support tool) may stamp on what it sends. Cordon runs clocks from
/// them (regulatory deadlines from detection, the monitor's days and grace periods): a time decades ahead pushed a
/// CERT-In deadline to 2099, one at the end of year 9999 made that arithmetic overflow (the incident failed after its
/// containment, and the monitor threw on every later event of that agent). A producer's clock a little ahead is
/// tolerated; beyond that the message is refused, naming the field, before anything changes.
/// </summary>
public static class ProducerTimes
{
    /// <summary>How far ahead of Cordon's clock a producer's time may be (clock skew between machines).</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(15);

    /// <summary>Nothing any producer of Cordon's saw happened before this.</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Why <paramref name="value"/> is not a time a producer can have seen, or null when it is.</summary>
    public static string? Problem(string field, DateTimeOffset value, DateTimeOffset now)
    {
        if (value < Earliest)
        {
            return $"{field} {value.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is before {Earliest:yyyy-MM-dd}: not a time the producer saw";
        }

        TimeSpan ahead = value - now;
        return ahead > MaxAhead
            ? $"{field} {value.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} is {Describe(ahead)} ahead of Cordon's clock ({now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}); at most {MaxAhead.TotalMinutes:0} minutes ahead is accepted (check the producer's clock: deadlines run from this time)"
            : null;
    }

    static string Describe(TimeSpan span) =>
        span.TotalDays >= 2 ? $"{span.TotalDays:0} days" : span.TotalHours >= 2 ? $"{span.TotalHours:0} hours" : $"{span.TotalMinutes:0} minutes";
}
