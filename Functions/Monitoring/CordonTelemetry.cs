using System.Diagnostics;

namespace Cordon.Monitoring;

/// <summary>
/// Cordon's trace source and the names operators query by. The Durable Task SDK traces the
/// orchestration and its activities itself (source "Microsoft.DurableTask") and carries the W3C
/// trace context from the client's schedule call, so a span opened around intake becomes the root
/// of the incident's whole trace.
/// </summary>
public static class CordonTelemetry
{
    public const string Name = "Cordon";

    /// <summary>The Durable Task SDK's ActivitySource (Microsoft.DurableTask.Client.Grpc / Worker.Grpc).</summary>
    public const string DurableTaskSource = "Microsoft.DurableTask";

    /// <summary>Kestrel's request spans; a caller's W3C traceparent header becomes the parent of intake.</summary>
    public const string AspNetCoreSource = "Microsoft.AspNetCore";

    public const string IncidentIdTag = "cordon.incident_id";
    public const string AlertIdTag = "cordon.alert_id";
    public const string AlertSourceTag = "cordon.alert_source";
    public const string IntakeOutcomeTag = "cordon.intake_outcome";

    /// <summary>The Durable Task SDK tags its spans with the instance id, which is the incident id.</summary>
    public const string DurableTaskInstanceIdTag = "durabletask.task.instance_id";

    public const string IntakeSpan = "intake alert";

    /// <summary>Intake applying a new incident's first containment (a child of <see cref="IntakeSpan"/>).</summary>
    public const string ContainAtIntakeSpan = "contain at intake";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// Tags the current span with the incident and opens a logging scope carrying it, so every log
    /// line of the step can be found by incident id.
    /// </summary>
    public static IDisposable? BeginIncident(this ILogger logger, string incidentId)
    {
        Activity.Current?.SetTag(IncidentIdTag, incidentId);
        return logger.BeginScope(new Dictionary<string, object> { ["IncidentId"] = incidentId });
    }
}
