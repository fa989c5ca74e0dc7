using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cordon.Local.Bench;

/// <summary>
/// An Azurite of the bench's own (node_modules/.bin, free loopback ports, a temporary folder), so a benchmark never
/// writes thousands of incidents into a developer's task hub. Blob, Queue and Table run as three node processes
/// (azurite-blob, azurite-queue, azurite-table), as they are three services in Azure: one combined Azurite is one
/// JavaScript thread for all three, and under a burst that thread was the machine's bottleneck (one core at 94 %
/// while the host used 19 %; its profile: the queue store re-indexing on every message delete, the blob store scanning
/// every blob on each write), so the services of one emulator stood in line for one another.
/// </summary>
public sealed class PrivateAzurite : IDisposable
{
    const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    readonly IReadOnlyList<Process> processes;
    readonly string location;
    readonly bool temporary;

    PrivateAzurite(IReadOnlyList<Process> processes, string location, bool temporary, string connectionString)
    {
        this.processes = processes;
        this.location = location;
        this.temporary = temporary;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>
    /// Starts Azurite on free loopback ports, its telemetry off, in <paramref name="keepIn"/> (kept) or a temporary folder
    /// (deleted on dispose). <paramref name="inMemory"/>: Azurite keeps its data in its processes only
    /// (<c>--inMemoryPersistence</c>), for the bench, whose data is thrown away anyway: the emulator's own disk writes
    /// (its database autosave, blob and queue extents) are not a cost Azure Storage puts on Cordon.
    /// </summary>
    public static async Task<PrivateAzurite> StartAsync(string repositoryRoot, string? keepIn = null, bool inMemory = false)
    {
        string bin = Path.GetFullPath(Path.Combine(repositoryRoot, "node_modules/.bin"));
        if (!File.Exists(Path.Combine(bin, "azurite-blob")))
        {
            throw new FileNotFoundException($"Azurite is not installed ({bin}/azurite-blob missing): run `npm ci` in the repository root (the README's test command does; the bench can also run with --stores memory).");
        }

        string location = keepIn is null ? Directory.CreateTempSubdirectory("cordon-bench-azurite-").FullName : Directory.CreateDirectory(keepIn).FullName;
        string common = $"--silent --skipApiVersionCheck --disableTelemetry --loose {(inMemory && keepIn is null ? "--inMemoryPersistence" : $"--location \"{location}\"")}";
        // A port taken between the pick and Azurite's bind ends that process at once: start again on new ports.
        Dictionary<string, int> ports;
        IReadOnlyList<Process> processes;
        for (int attempt = 1; ; attempt++)
        {
            ports = new Dictionary<string, int> { ["blob"] = LoopbackPort.Free(), ["queue"] = LoopbackPort.Free(), ["table"] = LoopbackPort.Free() };
            (processes, string? failure) = await TryStartAsync(bin, common, ports);
            if (failure is null)
            {
                break;
            }

            if (attempt == 3 || !failure.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Azurite did not start: {failure}");
            }
        }

        string connection = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{ports["blob"]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports["queue"]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ports["table"]}/devstoreaccount1;";
        return new PrivateAzurite(processes, location, keepIn is null, connection);
    }

    /// <summary>The three services on <paramref name="ports"/>, all listening; else all stopped and why.</summary>
    static async Task<(IReadOnlyList<Process> Processes, string? Failure)> TryStartAsync(string bin, string common, Dictionary<string, int> ports)
    {
        var processes = new List<Process>();
        try
        {
            foreach (var (service, port) in ports)
            {
                string debug = BenchTuning.AzuriteDebugLog is { } log ? $" --debug \"{log}.{service}\"" : "";
                processes.Add(Process.Start(new ProcessStartInfo(Path.Combine(bin, $"azurite-{service}"), $"{common} --{service}Host 127.0.0.1 --{service}Port {port}{debug}")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                }) ?? throw new InvalidOperationException($"could not start azurite-{service}"));
            }

            // node takes seconds to start; on a machine loaded by parallel builds, tens of seconds.
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!ports.Values.All(Listening) || processes.Any(p => p.HasExited))
            {
                if (processes.FirstOrDefault(p => p.HasExited) is { } dead)
                {
                    string why = await dead.StandardError.ReadToEndAsync() + await dead.StandardOutput.ReadToEndAsync();
                    Stop(processes);
                    return ([], why.Trim() is { Length: > 0 } said ? said : $"exited with code {dead.ExitCode}");
                }

                if (DateTime.UtcNow > deadline)
                {
                    Stop(processes);
                    return ([], "not listening after 90 s");
                }

                await Task.Delay(100);
            }

            return (processes, null);
        }
        catch
        {
            Stop(processes);
            throw;
        }
    }

    public void Dispose()
    {
        Stop(processes);
        if (!temporary)
        {
            return;
        }

        try
        {
            Directory.Delete(location, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by an exiting process: the temporary folder is left behind
        }
    }

    static void Stop(IEnumerable<Process> processes)
    {
        foreach (Process process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }

            process.Dispose();
        }
    }

    static bool Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
