namespace Cordon.Local.Bench;

/// <summary>
/// How the bench runs the Azure Storage store: CORDON_BENCH_PARTITIONS (control-queue partitions of the bench's task
/// hubs, default 1) and CORDON_BENCH_AZURITE_DISK=1 (private Azurites write their data to disk instead of keeping it in
/// their process). In memory is the default: Azurite's disk queues write every message through one serialized extent
/// writer, so under a burst an enqueue took 2.8 s at the median (7 s at p95) in the emulator itself — a cost of the
/// emulator, not of Azure Storage (milliseconds per enqueue), and the bench's data is thrown away anyway.
/// CORDON_BENCH_AZURITE_DEBUG=FILE writes each Azurite service's debug log (every request with its time) to FILE.blob, FILE.queue, FILE.table for profiling.
/// </summary>
public static class BenchTuning
{
    public static int Partitions { get; } = int.TryParse(Environment.GetEnvironmentVariable("CORDON_BENCH_PARTITIONS"), out int p) && p is >= 1 and <= 16 ? p : 1;

    /// <summary>CORDON_BENCH_FOLLOW_UP_WORK_ITEMS: the store scenarios' hosts' --follow-up-work-items on Azure Storage (default: the host's own; the crash scenario's child hosts always run the default).</summary>
    public static int? FollowUpWorkItems { get; } = int.TryParse(Environment.GetEnvironmentVariable("CORDON_BENCH_FOLLOW_UP_WORK_ITEMS"), out int f) && f is >= 1 and <= 1024 ? f : null;

    public static bool AzuriteInMemory { get; } = Environment.GetEnvironmentVariable("CORDON_BENCH_AZURITE_DISK") != "1";

    public static string? AzuriteDebugLog { get; } = Environment.GetEnvironmentVariable("CORDON_BENCH_AZURITE_DEBUG") is { Length: > 0 } f ? f : null;
}
