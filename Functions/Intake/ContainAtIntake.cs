using Cordon.Containment;
using Cordon.Incidents;
using Cordon.Monitoring;
using Microsoft.Extensions.Logging;

namespace Cordon.Intake;

/// <summary>
/// Contain first, ahead of the backend: once intake has started an incident whose plan auto-contains, it applies
/// the incident's first containment itself, so containment never queues behind other incidents' episodes and
/// follow-up work (a burst, a backlog on the Azure Storage queues). The incident exists before anything changes, and
/// its own first step still runs: it finds the containment recorded and changes nothing, or, when this attempt failed
/// (throttled, a crash, a directory error), applies it with its retries on durable timers.
/// </summary>
public sealed class ContainAtIntake(ContainSubject contain, ILogger<ContainAtIntake> logger)
{
    public async Task TryAsync(IncidentInput input)
    {
        // Intake decided when it built the input (IntakeContains), and the incident's step relies on that same decision.
        if (!input.IntakeContains || input.Plan is not { } plan)
        {
            return;
        }

        using System.Diagnostics.Activity? span = CordonTelemetry.Source.StartActivity(CordonTelemetry.ContainAtIntakeSpan);
        span?.SetTag(CordonTelemetry.IncidentIdTag, input.IncidentId);
        try
        {
            // Not the caller's token: a sender that hangs up mid-way must not leave containment half applied.
            await contain.ContainAtIntakeAsync(FirstContainment.Request(input, plan, input.Alert.Subject.UserPrincipalName), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Not lost: the incident's own containment step applies it (a throttle waits there on a durable timer).
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            logger.LogWarning("Incident {IncidentId}: containment at intake did not complete ({Error}); the incident's containment step applies it", input.IncidentId, ex.Message);
        }
    }
}
