namespace Cordon.Tests;

/// <summary>
/// The real clock, except that every timer fires at once: each wait asked for is reported to <see cref="Waited"/> (and
/// recorded) before it ends, so a test sees a pause's length and its place among other calls without sleeping through it.
/// </summary>
public sealed class ImmediateTimeProvider : TimeProvider
{
    readonly Lock gate = new();
    readonly List<TimeSpan> waits = [];

    /// <summary>Called with each wait as it begins (e.g. to add it to a settlement's list of calls).</summary>
    public Action<TimeSpan>? Waited { get; set; }

    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (gate)
            {
                return [.. waits];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (gate)
            {
                waits.Add(dueTime);
            }

            Waited?.Invoke(dueTime);
            dueTime = TimeSpan.Zero;
        }

        return System.CreateTimer(callback, state, dueTime, period);
    }
}
