using System.Diagnostics;

namespace Cordon.Local.Bench;

/// <summary>
/// This process's peak working set (sampled every 50 ms), CPU time and garbage collector's work (bytes allocated, gen2
/// collections, pauses), from Start to Stop.
/// </summary>
public sealed class ProcessMeter : IDisposable
{
    readonly TimeSpan cpuAtStart;
    readonly CancellationTokenSource stop = new();
    readonly Task sampling;
    long peakBytes;
    TimeSpan? cpuAtStop;
    readonly long allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
    readonly int gen2AtStart = GC.CollectionCount(2);
    readonly TimeSpan pausedAtStart = GC.GetTotalPauseDuration();
    (long Allocated, int Gen2, TimeSpan Paused)? gcAtStop;

    ProcessMeter()
    {
        cpuAtStart = CurrentCpu();
        peakBytes = Sample();
        sampling = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                long now = Sample();
                if (now > Interlocked.Read(ref peakBytes))
                {
                    Interlocked.Exchange(ref peakBytes, now);
                }
            }
        });
    }

    public static ProcessMeter Start() => new();

    public double PeakWorkingSetMb => Interlocked.Read(ref peakBytes) / (1024.0 * 1024.0);

    public double CpuMilliseconds => ((cpuAtStop ?? CurrentCpu()) - cpuAtStart).TotalMilliseconds;

    public double AllocatedMb => ((gcAtStop ?? Gc()).Allocated - allocatedAtStart) / (1024.0 * 1024.0);

    public int Gen2Collections => (gcAtStop ?? Gc()).Gen2 - gen2AtStart;

    public double GcPauseMilliseconds => ((gcAtStop ?? Gc()).Paused - pausedAtStart).TotalMilliseconds;

    static (long, int, TimeSpan) Gc() => (GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    public void Stop()
    {
        if (cpuAtStop is null)
        {
            cpuAtStop = CurrentCpu();
            gcAtStop = Gc();
            stop.Cancel();
            try
            {
                sampling.Wait();
            }
            catch (AggregateException e) when (e.InnerException is OperationCanceledException)
            {
                // the sampler ends by cancellation
            }
        }
    }

    // A fresh Process object per reading: the sampler and the caller read at the same time.
    static TimeSpan CurrentCpu()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }

    // Environment.WorkingSet reads one file; Process.WorkingSet64 also reads every thread's stat file on Linux (600
    // reads a second at this rate, work the bench added to what it measured).
    static long Sample() => Environment.WorkingSet;

    public void Dispose()
    {
        Stop();
        stop.Dispose();
    }
}
