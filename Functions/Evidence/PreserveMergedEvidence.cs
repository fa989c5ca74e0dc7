using Cordon.Access;
using Cordon.Alerts;

namespace Cordon.Evidence;

/// <summary>The merged alerts of one incident whose evidence is preserved in one step (at most <see cref="PreserveMergedEvidence.MaxAlerts"/>).</summary>
public sealed record MergedEvidenceRequest(string IncidentId, IReadOnlyList<RiskAlert> Alerts);

/// <summary>
/// Preserves the evidence of several merged alerts of one incident, each alert's items as <see cref="PreserveEvidence"/>
/// stores them (the same names, so a retry or an alert preserved twice keeps the first capture). One step for many
/// alerts: under a flood the incident schedules one step per batch instead of one per alert, so its history, and the
/// replay of every episode, stays short. The subject is the incident's: its directory record is read once per step.
/// </summary>
public sealed class PreserveMergedEvidence(IEvidenceStore evidence, IAccessControl access) : TaskActivity<MergedEvidenceRequest, EvidenceSummary>
{
    /// <summary>Alerts per step: enough to drain a flood in a few steps, few enough that a step stays seconds long.</summary>
    public const int MaxAlerts = 25;

    [Function(nameof(PreserveMergedEvidence))]
    public Task<EvidenceSummary> Run([ActivityTrigger] MergedEvidenceRequest request) => RunAsync(ActivityContexts.For(nameof(PreserveMergedEvidence)), request);

    public override async Task<EvidenceSummary> RunAsync(TaskActivityContext context, MergedEvidenceRequest request)
    {
        var records = new Dictionary<string, Task<AccessSnapshot>>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (RiskAlert alert in request.Alerts)
        {
            string upn = alert.Subject.UserPrincipalName;
            names.AddRange(await PreserveEvidence.PreserveAlertAsync(evidence, request.IncidentId, alert, $"merged alert {alert.AlertId}",
                () => records.TryGetValue(upn, out var record) ? record : records[upn] = access.GetAccessAsync(upn, CancellationToken.None), CancellationToken.None));
        }

        return new EvidenceSummary(names.Count, names);
    }
}
