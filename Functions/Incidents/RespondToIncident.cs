using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Cordon.Incidents;

/// <summary>
/// The incident workflow (docs/architecture.md, "The incident workflow"), one durable orchestration per incident.
/// The name is the version: a change that alters the sequence of durable calls ships as a new
/// orchestrator name while this one stays registered until its incidents close. This is v1, without
/// lifecycle events; new incidents start on <see cref="IncidentWorkflow.Current"/>.
/// </summary>
public sealed class RespondToIncident : TaskOrchestrator<IncidentInput, IncidentResult>
{
    [Function(nameof(RespondToIncident))]
    public static Task<IncidentResult> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RespondToIncident().RunAsync(context, context.GetInput<IncidentInput>()!);

    public override Task<IncidentResult> RunAsync(TaskOrchestrationContext context, IncidentInput input) =>
        new IncidentRun(context, input, announceEvents: false).ExecuteAsync();
}
