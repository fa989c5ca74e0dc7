using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Cordon.Incidents.V1;

/// <summary>
/// The incident workflow, v1 (no lifecycle events): frozen. Incidents started on it replay their recorded durable
/// calls through this folder's code for as long as they run, so it never changes: a change ships as a new version
/// (docs/architecture.md, "Versioning running incidents"). New incidents start on <see cref="IncidentWorkflow.Current"/>;
/// this one stays registered until its incidents close. Tests hold it to that: the folder's content hash
/// (FrozenVersionTests) and the recorded v1 histories (WorkflowReplayTests).
/// </summary>
public sealed class RespondToIncident : TaskOrchestrator<IncidentInput, IncidentResult>
{
    [Function(nameof(RespondToIncident))]
    public static Task<IncidentResult> Run([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RespondToIncident().RunAsync(context, context.GetInput<IncidentInput>()!);

    public override Task<IncidentResult> RunAsync(TaskOrchestrationContext context, IncidentInput input) =>
        new IncidentRun(context, input).ExecuteAsync();
}
