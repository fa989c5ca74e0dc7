using System.Globalization;
using Cordon.Incidents;

namespace Cordon.Approvals;

/// <summary>
/// When a decision sent from a link stops waiting for its gate to show on the incident's status. On Azure Storage an
/// episode sends its messages before it writes its status, so a gate's mail can reach an approver before the status
/// shows the gate; and an incident just started is Pending until its first episode has run. Neither is the end of the
/// incident: only a gate shown, a later gate shown, or an incident that has ended settles the wait.
/// </summary>
public static class LinkGateWait
{
    public static bool Settled(OrchestrationRuntimeStatus runtimeStatus, IncidentStatus status, string gateId) =>
        HasEnded(runtimeStatus)
        || status.PendingApprovals.Any(p => p.GateId == gateId)
        || PastGate(status, gateId);

    /// <summary>Whether the incident is over: not open (Pending, started but not yet run, is open).</summary>
    public static bool HasEnded(OrchestrationRuntimeStatus runtimeStatus) => !IncidentQueries.IsOpen(runtimeStatus);

    /// <summary>
    /// Whether the incident has opened a gate after the link's (gate ids end in the incident's gate count: confirm-1,
    /// notify-2; a restarted incident's carry its restart too: confirm-r1-1): then the link's gate is over and is not waited for.
    /// </summary>
    static bool PastGate(IncidentStatus s, string gateId) =>
        GateNumber(gateId) is { } mine && s.PendingApprovals.Any(p => GateNumber(p.GateId) is { } open && open.CompareTo(mine) > 0);

    /// <summary>(restart, gate count) of a gate id: confirm-2 is (0, 2), confirm-r1-1 is (1, 1); null for an id of neither form.</summary>
    static (int Restart, int Gate)? GateNumber(string gateId)
    {
        int last = gateId.LastIndexOf('-');
        if (last < 0 || !int.TryParse(gateId.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            return null;
        }

        int before = gateId.LastIndexOf('-', Math.Max(0, last - 1));
        ReadOnlySpan<char> run = before < 0 ? default : gateId.AsSpan(before + 1, last - before - 1);
        return run.Length > 1 && run[0] == 'r' && int.TryParse(run[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int restart) ? (restart, n) : (0, n);
    }
}
