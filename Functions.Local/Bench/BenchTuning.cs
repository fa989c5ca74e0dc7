namespace Cordon.Local.Bench;

/// <summary>
/// How the bench runs the Azure Storage store, for comparisons: CORDON_BENCH_PARTITIONS (control-queue partitions of
/// the bench's task hubs, default 1) and CORDON_BENCH_AZURITE_MEMORY=1 (private Azurites keep their data in memory).
/// Neither measured better on the loaded machine, so the defaults stay those of the published figures.
/// </summary>
public static class BenchTuning
{
    public static int Partitions { get; } = int.TryParse(Environment.GetEnvironmentVariable("CORDON_BENCH_PARTITIONS"), out int p) && p is >= 1 and <= 16 ? p : 1;

    public static bool AzuriteInMemory { get; } = Environment.GetEnvironmentVariable("CORDON_BENCH_AZURITE_MEMORY") == "1";
}
