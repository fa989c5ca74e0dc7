namespace Cordon.Incidents;

/// <summary>
/// The incident workflow, v2: v1's steps plus the lifecycle events (opened, contained, decided, notified,
/// closed) announced through <see cref="PublishIncidentEvent"/>. New incidents start here
/// (<see cref="IncidentWorkflow.Current"/>). A change that alters its durable calls once it has shipped is a new
/// version: copy this class and <see cref="IncidentRun"/> into a new one (docs/architecture.md, "Versioning").
/// </summary>
public sealed class RespondToIncidentV2 : TaskOrchestrator<IncidentInput, IncidentResult>
{
    [Function(nameof(RespondToIncidentV2))]
    public static Task<IncidentResult> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RespondToIncidentV2().RunAsync(context, context.GetInput<IncidentInput>()!);

    public override Task<IncidentResult> RunAsync(TaskOrchestrationContext context, IncidentInput input) =>
        new IncidentRun(context, input).ExecuteAsync();
}
