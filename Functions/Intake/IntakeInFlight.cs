namespace Cordon.Intake;

/// <summary>
/// How many alerts intake is placing and containing right now. A backend on the host's own cores (the local host on
/// Azurite) lets its follow-up work (the incidents' episodes and activities) yield to intake while this is non-zero,
/// so that in a burst the storage round trips go to containment first. Intake's wait for a merged alert to be taken
/// is not counted: that wait needs the incident's own episode.
/// </summary>
public sealed class IntakeInFlight
{
    int count;

    public int Count => Volatile.Read(ref count);

    /// <summary>Counts one alert until the returned scope is disposed (disposing twice counts it off once).</summary>
    public Scope Enter()
    {
        Interlocked.Increment(ref count);
        return new Scope(this);
    }

    /// <summary>Waits until no alert is in intake, or <paramref name="atMost"/> has passed (follow-up work is delayed, never starved).</summary>
    public async Task YieldAsync(TimeSpan atMost, TimeProvider time, CancellationToken cancellationToken)
    {
        long start = time.GetTimestamp();
        while (Count > 0 && time.GetElapsedTime(start) < atMost)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken);
        }
    }

    public sealed class Scope(IntakeInFlight owner) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner.count);
            }
        }
    }
}
