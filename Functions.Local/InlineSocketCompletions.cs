namespace Cordon.Local;

/// <summary>
/// The local host runs socket completions on the runtime's socket event thread instead of handing each to the thread
/// pool. Every storage request, gRPC call between the worker and the embedded sidecar, and HTTP request completes
/// through a socket, and on Azurite an incident makes about 66 storage requests before its confirmation gate: each
/// hand-over woke a thread-pool worker (about 6,000 context switches a second in a burst on this 2-core machine).
/// Measured on a burst of 300 on Azurite (docs/benchmarks.md): 47.8 and 48.8 ms of CPU per incident with it, 57.5 and
/// 61.4 without. The price is that a long continuation delays other sockets' completions; nothing in the host blocks
/// on I/O synchronously (a wait for another socket on the one event thread would never end). Set the variable to 0
/// to turn it off. The Functions app in Azure is not changed: its worker shares its process with nothing of this.
/// </summary>
public static class InlineSocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Sets the runtime's switch unless the environment already says (either way).</summary>
    public static void PreferUnlessSet()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
