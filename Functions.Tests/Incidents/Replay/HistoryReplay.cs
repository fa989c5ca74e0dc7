using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace Cordon.Tests.Incidents.Replay;

/// <summary>
/// Replays a recorded orchestration history through an orchestrator class the way the Durable Task worker does
/// (the worker's shim over DurableTask.Core's <see cref="TaskOrchestrationExecutor"/>), one episode at a time: for
/// each episode the events before it are the past, the events that woke it are new, and the actions the code asks
/// for must be the ones the history recorded (activities by name and sequence number, timers by fire time, the
/// completion by status and output). A replay that no longer matches its history fails inside the executor
/// (non-determinism) or asks for other actions: either way the episode is reported.
/// </summary>
public static class HistoryReplay
{
    public sealed record Episode(int Number, IReadOnlyList<string> Recorded, IReadOnlyList<string> Replayed)
    {
        public bool Matches => Recorded.SequenceEqual(Replayed);
    }

    public static IReadOnlyList<Episode> Run(string orchestratorName, Func<ITaskOrchestrator> orchestrator, IReadOnlyList<HistoryEvent> history)
    {
        var starts = history.Select((e, i) => (e, i)).Where(x => x.e is OrchestratorStartedEvent).Select(x => x.i).ToList();
        var episodes = new List<Episode>();
        for (int n = 0; n < starts.Count; n++)
        {
            int from = starts[n];
            int to = n + 1 < starts.Count ? starts[n + 1] : history.Count;
            OrchestratorExecutionResult result = Execute(orchestratorName, orchestrator, history, from, to);
            episodes.Add(new Episode(n + 1, history.Skip(from).Take(to - from).Where(IsAction).Select(Describe).ToList(), result.Actions.Select(Describe).ToList()));
        }

        return episodes;
    }

    /// <summary>What the code asks for in the history's last episode, given what woke it (whatever that episode recorded).</summary>
    public static OrchestratorExecutionResult LastEpisode(string orchestratorName, Func<ITaskOrchestrator> orchestrator, IReadOnlyList<HistoryEvent> history) =>
        Execute(orchestratorName, orchestrator, history, history.Select((e, i) => (e, i)).Last(x => x.e is OrchestratorStartedEvent).i, history.Count);

    static OrchestratorExecutionResult Execute(string orchestratorName, Func<ITaskOrchestrator> orchestrator, IReadOnlyList<HistoryEvent> history, int from, int to)
    {
        var runtimeState = new OrchestrationRuntimeState(history.Take(from).ToList());
        foreach (HistoryEvent e in history.Skip(from).Take(to - from).Where(IsInput))
        {
            runtimeState.AddEvent(e);
        }

        TaskOrchestration shim = DurableTaskShimFactory.Default.CreateOrchestration(new TaskName(orchestratorName), orchestrator());
        return new TaskOrchestrationExecutor(runtimeState, shim, BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.UseFailureDetails).Execute();
    }

    /// <summary>The activity names a history scheduled, in order (what a change to the workflow's calls would alter).</summary>
    public static IReadOnlyList<string> Activities(IEnumerable<HistoryEvent> history) =>
        history.OfType<TaskScheduledEvent>().Select(e => e.Name!).ToList();

    /// <summary>A readable account of the episodes that do not match, for a failure message.</summary>
    public static string Mismatches(IEnumerable<Episode> episodes) =>
        string.Join(Environment.NewLine, episodes.Where(e => !e.Matches).Take(3).Select(e =>
            $"episode {e.Number}:{Environment.NewLine}  recorded: {string.Join(" | ", e.Recorded)}{Environment.NewLine}  replayed: {string.Join(" | ", e.Replayed)}"));

    /// <summary>Events the code asked for (written to the history after the episode ran).</summary>
    static bool IsAction(HistoryEvent e) => e is TaskScheduledEvent or TimerCreatedEvent or EventSentEvent or SubOrchestrationInstanceCreatedEvent
        or ExecutionCompletedEvent or ContinueAsNewEvent;

    /// <summary>Events that woke the episode (and the episode's start).</summary>
    static bool IsInput(HistoryEvent e) => !IsAction(e) && e is not OrchestratorCompletedEvent;

    static string Describe(HistoryEvent e) => e switch
    {
        TaskScheduledEvent t => $"activity {t.Name} #{t.EventId}",
        TimerCreatedEvent t => $"timer {Utc(t.FireAt):O} #{t.EventId}",
        EventSentEvent s => $"event {s.Name} to {s.InstanceId}",
        SubOrchestrationInstanceCreatedEvent s => $"sub-orchestration {s.Name} #{s.EventId}",
        ContinueAsNewEvent c => $"continue-as-new {c.Result}",
        ExecutionCompletedEvent c => $"complete {c.OrchestrationStatus}: {c.FailureDetails?.ToString() ?? c.Result}",
        _ => e.EventType.ToString(),
    };

    static string Describe(OrchestratorAction a) => a switch
    {
        ScheduleTaskOrchestratorAction t => $"activity {t.Name} #{t.Id}",
        CreateTimerOrchestratorAction t => $"timer {Utc(t.FireAt):O} #{t.Id}",
        SendEventOrchestratorAction s => $"event {s.EventName} to {s.Instance?.InstanceId}",
        CreateSubOrchestrationAction s => $"sub-orchestration {s.Name} #{s.Id}",
        OrchestrationCompleteOrchestratorAction { OrchestrationStatus: OrchestrationStatus.ContinuedAsNew } c => $"continue-as-new {c.Result}",
        OrchestrationCompleteOrchestratorAction c => $"complete {c.OrchestrationStatus}: {c.FailureDetails?.ToString() ?? c.Result}",
        _ => a.GetType().Name,
    };

    static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime();
}
