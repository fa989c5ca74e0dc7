using System.Globalization;
using System.Net.Http.Headers;

namespace Cordon.Adapters.Graph;

/// <summary>
/// Graph's throttling signals, read the same way for a whole response and for one $batch item:
/// <c>Retry-After</c> (seconds or an HTTP date), <c>x-ms-throttle-limit-percentage</c> (a fraction from
/// 0.8 to 1.8 of the app's budget) and which answers are worth retrying.
/// </summary>
internal static class GraphThrottling
{
    public const string RetryAfterHeader = "Retry-After";
    public const string ThrottlePercentHeader = "x-ms-throttle-limit-percentage";

    /// <summary>Throttled or briefly unavailable: the same request may succeed later.</summary>
    public static bool IsTransient(int status) => status is 429 or 502 or 503 or 504;

    public static TimeSpan? RetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at))
        {
            TimeSpan wait = at - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        null => null,
        { Delta: TimeSpan delta } => delta,
        { Date: DateTimeOffset date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>
    /// The header's value as a percentage. Graph documents a fraction (0.8 … 1.8); a value above 2 is
    /// taken as already being a percentage, so either spelling compares correctly with the threshold.
    /// </summary>
    public static double? ThrottlePercent(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)
            || !double.TryParse(value.Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0)
        {
            return null;
        }

        return v <= 2 ? v * 100 : v;
    }

    public static TimeSpan Backoff(GraphOptions options, int attempt)
    {
        double factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        TimeSpan wait = TimeSpan.FromTicks((long)Math.Min(options.RetryBaseDelay.Ticks * factor, TimeSpan.MaxValue.Ticks / 2));
        return Cap(options, wait);
    }

    public static TimeSpan Cap(GraphOptions options, TimeSpan wait) => wait > options.MaxRetryDelay ? options.MaxRetryDelay : wait;

    /// <summary>
    /// Pause before the next bulk request: <see cref="GraphOptions.SlowDownPause"/> at the threshold,
    /// growing linearly to twice that at 100 % (and beyond, where a 429 is due any moment).
    /// </summary>
    public static TimeSpan SlowDown(GraphOptions options, double percent)
    {
        double threshold = options.SlowDownAtPercent;
        double span = Math.Max(1, 100 - threshold);
        double factor = 1 + (Math.Max(0, percent - threshold) / span);
        return Cap(options, TimeSpan.FromTicks((long)(options.SlowDownPause.Ticks * factor)));
    }
}
