using Cordon.Access;
using System.Text.Json;
using Cordon.Alerts;

namespace Cordon.Evidence;

public sealed record PreserveRequest(string IncidentId, RiskAlert Alert, string Reason);

public sealed record EvidenceSummary(int Items, IReadOnlyList<string> Names);

/// <summary>
/// Preserves the alert (what it saw and what it points at) and what the directory knows about the subject, each item
/// hashed into the store's manifest with a chain-of-custody entry. Write-once names make a retry
/// harmless: an item already stored is kept as first captured (the directory record may have changed
/// since — containment runs alongside — and the first capture is the evidence).
/// </summary>
public sealed class PreserveEvidence(IEvidenceStore evidence, IAccessControl access) : TaskActivity<PreserveRequest, EvidenceSummary>
{
    /// <summary>Why an incident's first alert is preserved (its custody entry says so), by its containment step or by this step.</summary>
    public const string InitialAlert = "initial alert";

    [Function(nameof(PreserveEvidence))]
    public Task<EvidenceSummary> Run([ActivityTrigger] PreserveRequest request) => RunAsync(ActivityContexts.For(nameof(PreserveEvidence)), request);

    public override async Task<EvidenceSummary> RunAsync(TaskActivityContext context, PreserveRequest request)
    {
        List<string> names = await PreserveAlertAsync(evidence, access, request.IncidentId, request.Alert, request.Reason, "cordon/" + nameof(PreserveEvidence));
        return new EvidenceSummary(names.Count, names);
    }

    /// <summary>One alert's items, its directory record read now; <paramref name="actor"/> is the step collecting them.</summary>
    internal static Task<List<string>> PreserveAlertAsync(IEvidenceStore evidence, IAccessControl access, string incidentId, RiskAlert alert, string reason, string actor) =>
        PreserveAlertAsync(evidence, incidentId, alert, reason, () => access.GetAccessAsync(alert.Subject.UserPrincipalName, CancellationToken.None), CancellationToken.None, actor);

    /// <summary>One alert's items (the alert with its indicators and the producer's references, the directory record), each hashed into the manifest and the custody log.</summary>
    /// <param name="actor">Who collects them, as the custody log names it (the step doing it).</param>
    internal static async Task<List<string>> PreserveAlertAsync(IEvidenceStore evidence, string incidentId, RiskAlert alert, string reason,
        Func<Task<AccessSnapshot>> directoryRecord, CancellationToken ct, string actor = "cordon/" + nameof(PreserveEvidence))
    {
        // Unique per alert: a readable prefix and a hash of the exact source and id.
        string key = EvidenceNames.ForAlert(alert.Source, alert.AlertId);
        var names = new List<string>();

        // Stored without a read first (a first attempt finds nothing): a retry whose capture differs from the stored one
        // (the directory changed meanwhile) is refused by the write-once store, and the first capture is completed instead.
        async Task Put(string name, Func<Task<object>> content, string action)
        {
            var note = new CustodyNote(actor, action);
            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(await content(), CordonJson.Options);
            try
            {
                await evidence.PutAsync(incidentId, name, bytes, "application/json", note, ct);
            }
            catch (InvalidOperationException)
            {
                if (await evidence.GetAsync(incidentId, name, ct) is not { } first)
                {
                    throw; // not a different first capture: the store refused for another reason
                }

                await evidence.PutAsync(incidentId, name, first, "application/json", note, ct);
            }

            names.Add(name);
        }

        // The alert item holds its indicators and the producer's evidence references; they are not stored again as items
        // of their own (they were until 2026-12: two more uploads of three blobs each per incident, the same facts).
        await Put(EvidenceNames.AlertItem(alert.Source, alert.AlertId), () => Task.FromResult<object>(alert), $"collected alert ({reason})");
        await Put($"directory-{key}.json", async () => await directoryRecord(), "collected directory record of the subject");
        return names;
    }
}
