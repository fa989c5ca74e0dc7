using Cordon.Incidents;

namespace Cordon.Containment;

/// <summary>
/// The residual exposure after containment: per resource class from the policy, per client system
/// from its session kill (closed at the acknowledgement) or its session lifetime. One computation for
/// the incident record (orchestrator) and the exposure metric (containment activity).
/// </summary>
public static class ExposureWindows
{
    public static IReadOnlyList<ExposureWindow> Compute(ContainmentRecord containment, IReadOnlyDictionary<string, TimeSpan> policy, IReadOnlyList<AffectedClient> clients)
    {
        DateTime at = containment.ContainedAt;
        var windows = new List<ExposureWindow>();
        foreach (var (resource, span) in policy)
        {
            windows.Add(new ExposureWindow(resource, at + span, $"already-issued {resource} credentials can work up to {span.TotalMinutes:0} min after containment"));
        }

        foreach (AffectedClient client in clients)
        {
            SessionKill? kill = containment.SessionKills.FirstOrDefault(k => k.ClientId == client.Id);
            windows.Add(kill is { Acknowledged: true, AcknowledgedAt: not null }
                ? new ExposureWindow($"client-system:{client.Id}", kill.AcknowledgedAt.Value, "client acknowledged the session kill")
                : new ExposureWindow($"client-system:{client.Id}", at + TimeSpan.FromMinutes(client.SessionLifetimeMinutes),
                    kill is null ? $"no session-kill endpoint: session lifetime {client.SessionLifetimeMinutes:0} min" : $"session kill failed: session lifetime {client.SessionLifetimeMinutes:0} min"));
        }

        // Never before containment: the window cannot close before the containment it follows.
        return windows.Select(w => w.EndsBy < at ? w with { EndsBy = at } : w).ToList();
    }

    /// <summary>exposureEndsBy straight from the record, the policy's windows and the clients (when the windows themselves are not kept).</summary>
    public static DateTime EndsBy(ContainmentRecord containment, IReadOnlyDictionary<string, TimeSpan> policy, IReadOnlyList<AffectedClient> clients) =>
        EndsBy(containment, Compute(containment, policy, clients));

    /// <summary>exposureEndsBy: the latest window's end, never earlier than containment.</summary>
    public static DateTime EndsBy(ContainmentRecord containment, IReadOnlyList<ExposureWindow> windows) =>
        windows.Count == 0 ? containment.ContainedAt : windows.Max(w => w.EndsBy);
}
