using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cordon.Tests;

/// <summary>
/// Azurite (installed by the test command with `npm ci`) on free loopback ports, with its own data folder.
/// A missing Azurite fails the tests that need it: CI never skips them silently.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    Process? process;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string bin = Repo.Path("node_modules/azurite/dist/src/azurite.js");
        if (!File.Exists(bin))
        {
            throw new InvalidOperationException($"Azurite is not installed ({bin} missing): run `npm ci` in the repository root (the README's test command does).");
        }

        int blob = FreePort(), queue = FreePort(), table = FreePort();
        string location = Directory.CreateTempSubdirectory("azurite-").FullName;
        process = Process.Start(new ProcessStartInfo("node",
            $"\"{bin}\" --silent --skipApiVersionCheck --loose --location \"{location}\" --blobHost 127.0.0.1 --blobPort {blob} --queueHost 127.0.0.1 --queuePort {queue} --tableHost 127.0.0.1 --tablePort {table}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(Listening(blob) && Listening(queue) && Listening(table)))
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                throw new InvalidOperationException("Azurite did not start: " + (process.HasExited ? await process.StandardError.ReadToEndAsync() : "timeout"));
            }

            await Task.Delay(100);
        }

        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
    }

    public Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
        }

        process?.Dispose();
        return Task.CompletedTask;
    }

    static int FreePort()
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
