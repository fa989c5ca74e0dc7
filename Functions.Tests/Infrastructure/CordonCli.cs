using System.Diagnostics;
using System.Net.Sockets;

namespace Cordon.Tests;

/// <summary>
/// The CLI as a user runs it: the built Cordon.Local.dll under `dotnet` in the repository root, its exit code and
/// output. A run that outlives its time-out is killed (a command that should have refused and started working instead).
/// </summary>
public static class CordonCli
{
    public sealed record Run(int Code, string Out, string Err, TimeSpan Took, bool TimedOut)
    {
        public string Output => Out + Err;

        public override string ToString() => $"exit {Code} after {Took.TotalSeconds:0.0} s{(TimedOut ? " (killed: timed out)" : "")}\nstdout: {Out}\nstderr: {Err}";
    }

    public static Task<Run> RunAsync(TimeSpan timeout, params string[] args) => RunAsync(timeout, null, args);

    /// <summary>As above, with <paramref name="environment"/> set for the process (settings a user gives the host that way).</summary>
    public static async Task<Run> RunAsync(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cordon.Local.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var wait = new CancellationTokenSource(timeout);
        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return new Run(process.ExitCode, await stdout, await stderr, clock.Elapsed, timedOut);
    }

    /// <summary>A loopback address nothing listens on (a port just freed): a client command pointed at it can never reach a host.</summary>
    public static string NoHost()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return $"http://127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}";
    }
}
