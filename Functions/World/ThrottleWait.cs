using System.Globalization;

namespace Cordon.World;

/// <summary>
/// A service's Retry-After carried in a failure message. Activity failures cross the engine as type name and message
/// only, so a throttled step's exception writes the wait into its message and the orchestration's retry reads it back
/// to wait it out on a durable timer (never inside the activity).
/// </summary>
public static class ThrottleWait
{
    const string Marker = "; retry after ";
    const string Unit = " ms";

    /// <summary><paramref name="message"/> with the wait appended in the form <see cref="In"/> reads.</summary>
    public static string Describe(string message, TimeSpan? retryAfter) => retryAfter is { } wait
        ? $"{message}{Marker}{Math.Ceiling(wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}{Unit}"
        : $"{message}; no Retry-After given";

    /// <summary>The wait a message written by <see cref="Describe"/> carries; null when it carries none.</summary>
    public static TimeSpan? In(string? message)
    {
        int at = message?.LastIndexOf(Marker, StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return null;
        }

        ReadOnlySpan<char> rest = message.AsSpan(at + Marker.Length);
        int end = rest.IndexOf(Unit, StringComparison.Ordinal);
        return end > 0 && double.TryParse(rest[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) && ms >= 0
            ? TimeSpan.FromMilliseconds(ms)
            : null;
    }
}
