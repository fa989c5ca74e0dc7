using Cordon.Alerts;
using Microsoft.AspNetCore.Mvc;

namespace Cordon.Behaviour;

/// <summary>
/// POST /api/telemetry: a JSON array of AccessEvent v1 (≤ 5,000 events, ≤ 4 MB) → 202
/// {accepted, duplicates, rejected:[{index, errors}], alerts:[{alertId, subject, detectedAt, severity, riskScore, affectedRecords}]}; bad events are reported and the rest kept.
/// A batch that cannot be read, or has no valid event, is refused with 400 problem+json.
/// </summary>
public sealed class SubmitTelemetry(TelemetryIntake intake, TimeProvider time)
{
    /// <summary>The HTTP route (under /api), declared once for the Functions host and the local host.</summary>
    public const string Route = "telemetry";

    [Function(nameof(SubmitTelemetry))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        string tooLarge = $"batch is larger than the limit of {AccessEventParser.MaxBytes} bytes (4 MB)";
        if (request.ContentLength > AccessEventParser.MaxBytes)
        {
            return Problems.BadRequest("Telemetry refused", [tooLarge]);
        }

        byte[]? body = await Problems.ReadBodyAsync(request, AccessEventParser.MaxBytes, request.HttpContext.RequestAborted);
        if (body is null)
        {
            return Problems.BadRequest("Telemetry refused", [tooLarge]);
        }

        BatchParseResult parsed = AccessEventParser.ParseBatch(body, time.GetUtcNow());
        if (!parsed.IsValid)
        {
            return Problems.BadRequest("Telemetry refused", parsed.Errors);
        }

        if (parsed.Events.Count == 0)
        {
            return Problems.BadRequest("Telemetry refused", parsed.Rejected.SelectMany(r => r.Errors.Select(e => $"[{r.Index}] {e}")).ToList());
        }

        TelemetryResult result = await intake.SubmitWithAlertsAsync(client, parsed.Events, request.HttpContext.RequestAborted);
        return new ObjectResult(new TelemetryReceipt(result.Accepted, result.Duplicates, parsed.Rejected, result.Alerts)) { StatusCode = StatusCodes.Status202Accepted };
    }
}
