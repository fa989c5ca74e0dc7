using Cordon.Incidents.V1;
using Microsoft.DurableTask;

namespace Cordon.Tests.Incidents.Replay;

/// <summary>
/// Histories recorded on the real engine (Fixtures/, captured by <see cref="HistoryCaptureTests"/>) replay through
/// their orchestrator classes as they ran: no non-determinism, and every episode asks for the actions it recorded.
/// A v1 history must replay through the frozen v1 class for as long as v1 incidents may be running; a change that
/// alters v1's durable calls goes red here and must ship as a new version instead.
/// </summary>
public sealed class WorkflowReplayTests
{
    public static TheoryData<string> Fixtures() => [.. Directory.GetFiles(HistoryFixture.Folder, "*.json").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    static readonly Dictionary<string, Func<ITaskOrchestrator>> Versions = new(StringComparer.Ordinal)
    {
        [nameof(RespondToIncident)] = () => new RespondToIncident(),
        [nameof(RespondToIncidentV2)] = () => new RespondToIncidentV2(),
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Recorded_history_replays_through_its_version_with_the_same_durable_calls(string fixture)
    {
        HistoryFixture recorded = HistoryFixture.Load(fixture);
        Assert.True(Versions.TryGetValue(recorded.Orchestrator, out var code), $"{fixture} ran on {recorded.Orchestrator}, which is no longer registered here");

        IReadOnlyList<HistoryReplay.Episode> episodes = HistoryReplay.Run(recorded.Orchestrator, code!, recorded.History);

        Assert.True(episodes.All(e => e.Matches),
            $"{fixture} ({recorded.Path}) no longer replays through {recorded.Orchestrator}. Running incidents of this version would fail or " +
            $"take other steps after a deploy. A released workflow version is frozen: ship the change as a new version (a new class, registered " +
            $"beside this one) instead.{Environment.NewLine}{HistoryReplay.Mismatches(episodes)}");
        Assert.Contains(recorded.Outcome, episodes[^1].Replayed.Single());
    }

    [Fact]
    public void Every_registered_workflow_version_has_recorded_histories()
    {
        var recorded = Directory.GetFiles(HistoryFixture.Folder, "*.json").Select(f => HistoryFixture.Load(Path.GetFileName(f)).Orchestrator).ToHashSet();
        Assert.Equal(Cordon.CordonTasks.Orchestrators.Select(t => t.Name).Order(), recorded.Order());
    }
}
