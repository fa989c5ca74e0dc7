using DurableTask.Core.Command;
using DurableTask.Core.History;

namespace Cordon.Tests.Incidents.Replay;

/// <summary>
/// Recorded on Azurite (Regressions/vendor-gate-step-end-fired-early.json): the second confirmed insider of a site opens
/// the vendor-offboarding gate, which has no reminders; its step-end timer (and two stale timers of earlier gates) came
/// back in one episode that started just before the timer's time (a queue message becomes visible on whole seconds).
/// The gate took it for a reminder's time and read the missing reminders: the incident ended Failed ("Value cannot be
/// null"), with no failure details on the status.
/// </summary>
public sealed class GateStepEndFiredEarlyTests
{
    [Fact]
    public void A_gate_step_end_timer_that_fires_just_early_waits_out_the_rest_of_the_step_instead_of_failing_the_incident()
    {
        IReadOnlyList<HistoryEvent> history = HistoryFixture.Events(File.ReadAllText(Repo.Path("Functions.Tests/Incidents/Replay/Regressions/vendor-gate-step-end-fired-early.json")));
        int lastEpisode = history.Select((e, i) => (e, i)).Last(x => x.e is OrchestratorStartedEvent).i;
        DateTime episodeAt = history.Skip(lastEpisode).OfType<OrchestratorStartedEvent>().Single().Timestamp;
        DateTime stepEnd = history.OfType<TimerCreatedEvent>().Last().FireAt;
        Assert.True(episodeAt < stepEnd, "the recorded episode started before the step's end"); // what made it fail

        var result = HistoryReplay.LastEpisode(nameof(RespondToIncidentV2), () => new RespondToIncidentV2(), history);

        Assert.DoesNotContain(result.Actions, a => a is OrchestrationCompleteOrchestratorAction);
        CreateTimerOrchestratorAction wait = Assert.Single(result.Actions.OfType<CreateTimerOrchestratorAction>());
        Assert.Equal(stepEnd, wait.FireAt); // the rest of the step, then the chain's next role
    }
}
