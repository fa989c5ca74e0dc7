using Cordon.Alerts;
using Cordon.Incidents;
using Cordon.Operators;
using Microsoft.AspNetCore.Mvc;

namespace Cordon.Evidence;

public sealed record EvidenceManifest(string IncidentId, IReadOnlyList<EvidenceItem> Items, EvidenceVerification Verification);

/// <summary>
/// GET /api/incidents/{id}/evidence: the evidence manifest (items and hashes) and a fresh check of hashes
/// and custody chain — against the chain head the incident recorded when it closed, once it has.
/// </summary>
public sealed class EvidenceManifestApi(IEvidenceStore evidence, OperatorSignIn signIn)
{
    /// <summary>The HTTP route (under /api), declared once for the Functions host and the local host.</summary>
    public const string Route = "incidents/{id}/evidence";

    [Function("GetEvidenceManifest")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id)
    {
        if (IncidentsApi.Refusal(signIn, request, OperatorRight.View) is { } refused)
        {
            return refused;
        }

        if (!IncidentIds.LooksValid(id))
        {
            return Problems.NotFound("Unknown incident", IncidentsApi.UnknownIncident(id));
        }

        CancellationToken ct = request.HttpContext.RequestAborted;
        IReadOnlyList<EvidenceItem> items = await evidence.ListAsync(id, ct);
        RecordedHead? recorded = await RecordedHeadAsync(client, id, ct);
        EvidenceVerification verification = await evidence.VerifyAsync(id, recorded, ct);
        // No manifest is "no evidence" only when nothing else is there either: a manifest cut or deleted beside its items
        // is a failed verification, shown as such (found by an attack: it answered 404, "no evidence has been preserved").
        if (items.Count == 0 && (verification.Ok || verification.FirstMismatch == id))
        {
            return Problems.NotFound("No evidence", $"No evidence has been preserved for incident {id}.");
        }

        return new OkObjectResult(new EvidenceManifest(id, items, verification));
    }

    /// <summary>The head a closed incident recorded in its output (or status), if any.</summary>
    public static async Task<RecordedHead?> RecordedHeadAsync(DurableTaskClient client, string id, CancellationToken ct)
    {
        OrchestrationMetadata? m = await client.GetInstanceAsync(id, getInputsAndOutputs: true, ct);
        if (m is null)
        {
            return null;
        }

        CustodyHead? head = IncidentQueries.ResultOf(m)?.EvidenceHead
            ?? (m.SerializedCustomStatus is not null ? m.ReadCustomStatusAs<IncidentStatus>()?.EvidenceHead : null);
        return head is null ? null : new RecordedHead(head, $"the closed incident {id}");
    }
}
