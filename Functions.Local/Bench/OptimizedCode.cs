using System.Diagnostics;

namespace Cordon.Local.Bench;

/// <summary>
/// The benchmark measures its hosts on code the JIT compiled optimized, not on the framework's precompiled
/// (ReadyToRun) code. The local host runs with tiered compilation off (so nothing is recompiled under a burst), and
/// with it off precompiled code is never replaced: the hot paths of every storage request (HTTP, sockets, JSON, the
/// async machinery of the core library) ran as ReadyToRun code, which is compiled without cross-assembly inlining.
/// A Functions worker that has run for a while runs those paths on its tier-1 code, which is what this measures. The
/// runtime reads the switch only at start, from the environment, so <c>bench</c> hands its command to a child process
/// started with <c>DOTNET_ReadyToRun=0</c> (burst of 300 on Azurite, five runs each: 35.1 ms of CPU per incident median
/// against 45.0). The price is start-up (1.5 s to 3.9 s for the host to answer), which is why only the benchmark does
/// it; the hosts its crash scenario kills and restarts run as <c>cordon</c> does. Set the variable (either way) to decide.
/// </summary>
public static class OptimizedCode
{
    public const string Variable = "DOTNET_ReadyToRun";

    /// <summary>Whether this process should hand its command to a child without precompiled code: the environment does not say.</summary>
    public static bool ShouldRelaunch() => Environment.GetEnvironmentVariable(Variable) is null;

    /// <summary>The child that runs the same command without precompiled code, sharing this console.</summary>
    public static ProcessStartInfo Child(IEnumerable<string> args)
    {
        ProcessStartInfo info = HostProcess.StartInfo(args);
        info.Environment[Variable] = "0";
        return info;
    }

    /// <summary>Runs the command in the child and answers its exit code. Ctrl+C reaches both; the child ends the run and writes its report.</summary>
    public static async Task<int> RelaunchAsync(IEnumerable<string> args)
    {
        using Process child = Process.Start(Child(args)) ?? throw new InvalidOperationException("could not start the benchmark's process");
        Console.CancelKeyPress += (_, e) => e.Cancel = true;
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    /// <summary>A host started by the benchmark as <c>cordon</c> starts it: with the runtime's precompiled code.</summary>
    public static void AsCordonRuns(ProcessStartInfo info) => info.Environment.Remove(Variable);
}
