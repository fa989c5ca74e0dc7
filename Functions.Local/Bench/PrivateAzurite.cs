using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cordon.Local.Bench;

/// <summary>
/// An Azurite of the bench's own (node_modules/.bin/azurite, free loopback ports, a temporary folder), so a
/// benchmark never writes thousands of incidents into a developer's task hub.
/// </summary>
public sealed class PrivateAzurite : IDisposable
{
    readonly Process process;
    readonly string location;
    readonly bool temporary;

    PrivateAzurite(Process process, string location, bool temporary, string connectionString)
    {
        this.process = process;
        this.location = location;
        this.temporary = temporary;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    /// <summary>
    /// Starts Azurite on free loopback ports, its telemetry off, in <paramref name="keepIn"/> (kept) or a temporary folder
    /// (deleted on dispose). <paramref name="inMemory"/>: Azurite keeps its data in its process only
    /// (<c>--inMemoryPersistence</c>), for the bench, whose data is thrown away anyway: the emulator's own disk writes
    /// (its database autosave, blob and queue extents) are not a cost Azure Storage puts on Cordon.
    /// </summary>
    public static async Task<PrivateAzurite> StartAsync(string repositoryRoot, string? keepIn = null, bool inMemory = false)
    {
        string bin = Path.GetFullPath(Path.Combine(repositoryRoot, "node_modules/.bin/azurite"));
        if (!File.Exists(bin))
        {
            throw new FileNotFoundException($"Azurite is not installed ({bin} missing): run `npm ci` in the repository root (the README's test command does; the bench can also run with --stores memory).");
        }

        int blob = FreePort(), queue = FreePort(), table = FreePort();
        string location = keepIn is null ? Directory.CreateTempSubdirectory("cordon-bench-azurite-").FullName : Directory.CreateDirectory(keepIn).FullName;
        var process = Process.Start(new ProcessStartInfo(bin,
            $"--silent --skipApiVersionCheck --disableTelemetry --loose {(inMemory && keepIn is null ? "--inMemoryPersistence" : $"--location \"{location}\"")} --blobHost 127.0.0.1 --blobPort {blob} --queueHost 127.0.0.1 --queuePort {queue} --tableHost 127.0.0.1 --tablePort {table}{(BenchTuning.AzuriteDebugLog is { } debug ? $" --debug \"{debug}\"" : "")}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"could not start {bin}");
        // node takes seconds to start; on a machine loaded by parallel builds, tens of seconds.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(Listening(blob) && Listening(queue) && Listening(table)))
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                string why = process.HasExited ? await process.StandardError.ReadToEndAsync() : "not listening after 90 s";
                process.Dispose();
                throw new InvalidOperationException($"Azurite did not start: {why}");
            }

            await Task.Delay(100);
        }

        string connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
        return new PrivateAzurite(process, location, keepIn is null, connection);
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
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
            // a file still held by the exiting process: the temporary folder is left behind
        }
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
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
