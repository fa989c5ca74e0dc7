using Cordon.Alerts;
using Cordon.Monitoring;
using Microsoft.AspNetCore.Mvc;

namespace Cordon.Intake;

/// <summary>POST /api/alerts: 202 {incidentId, outcome}, or 400 problem+json naming every bad field.</summary>
public sealed class SubmitAlert(AlertIntake intake, CordonMetrics metrics, TimeProvider time)
{
    /// <summary>The HTTP route (under /api), declared once for the Functions host and the local host.</summary>
    public const string Route = "alerts";

    [Function(nameof(SubmitAlert))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Route)] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        if (request.ContentLength > AlertParser.MaxBytes)
        {
            metrics.AlertRefused(RefusalReasons.TooLarge, AlertChannels.Http);
            return Problems.BadRequest("Alert refused", [$"alert is {request.ContentLength} bytes; the limit is {AlertParser.MaxBytes} bytes (256 KB)"]);
        }

        byte[]? body = await Problems.ReadBodyAsync(request, AlertParser.MaxBytes, request.HttpContext.RequestAborted);
        if (body is null)
        {
            metrics.AlertRefused(RefusalReasons.TooLarge, AlertChannels.Http);
            return Problems.BadRequest("Alert refused", [$"alert is larger than the limit of {AlertParser.MaxBytes} bytes (256 KB)"]);
        }

        AlertParseResult parsed = AlertParser.Parse(body, time.GetUtcNow());
        if (!parsed.IsValid)
        {
            metrics.AlertRefused(RefusalReasons.Invalid, AlertChannels.Http);
            return Problems.BadRequest("Alert refused", parsed.Errors);
        }

        IntakeResult result = await intake.SubmitAsync(client, parsed.Alert!, request.HttpContext.RequestAborted);
        return new ObjectResult(new { incidentId = result.IncidentId, outcome = result.Outcome }) { StatusCode = StatusCodes.Status202Accepted };
    }
}
