namespace Cordon.Local.Bench;

/// <summary>How the bench runs the Azure Storage store (CORDON_BENCH_PARTITIONS, CORDON_BENCH_AZURITE_DISK=1 to compare).</summary>
public static class BenchTuning
{
    public static int Partitions { get; } = int.TryParse(Environment.GetEnvironmentVariable("CORDON_BENCH_PARTITIONS"), out int p) && p is >= 1 and <= 16 ? p : 1;

    public static bool AzuriteInMemory { get; } = Environment.GetEnvironmentVariable("CORDON_BENCH_AZURITE_DISK") != "1";
}
