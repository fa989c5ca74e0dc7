using Cordon.Incidents.V1;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Incidents.Replay;

/// <summary>
/// Incidents run on the real engine and the Azure Storage provider (Azurite), their histories read back from its
/// History table: each replays through its orchestrator class episode by episode as it ran, and calls the same
/// activities as the recorded fixture of its path (<see cref="WorkflowReplayTests"/> replays those fixtures).
/// With CORDON_RECORD_HISTORIES=1 the run rewrites the fixtures instead: only when a new workflow version ships
/// (its paths get fixtures of their own); a frozen version's fixtures never change.
/// </summary>
[Collection(nameof(AzuriteCollection))]
public sealed class HistoryCaptureTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    const string SecurityLead = "sam.lead@cordon-customer.example";
    const string Legal = "lee.legal@cordon-customer.example";

    static bool Recording => Environment.GetEnvironmentVariable("CORDON_RECORD_HISTORIES") == "1";

    [Fact]
    public async Task Incidents_on_the_real_engine_replay_through_their_version_and_call_what_the_fixtures_recorded()
    {
        await using TestHost host = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, taskHub: "replay");
        var config = host.Host.Services.GetRequiredService<Cordon.Configuration.LiveConfiguration>();
        RiskAlert Alert(string file, Func<string, string>? edit = null) =>
            AlertParser.Parse(System.Text.Encoding.UTF8.GetBytes((edit ?? (s => s))(File.ReadAllText(Repo.Path("samples/alerts/" + file))))).Alert!;
        async Task<string> StartAsync(string orchestrator, RiskAlert alert, bool triagedAtIntake, Func<ResponsePlan, ResponsePlan>? plan = null)
        {
            string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);
            ResponsePlan? triaged = triagedAtIntake ? (plan ?? (p => p))(TriageAlert.Plan(alert, config.Current)) : null;
            await host.Host.Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, new IncidentInput(id, alert, DateTime.UtcNow, triaged),
                new StartOrchestrationOptions(id));
            return id;
        }

        async Task DecideAsync(string id, string approver, string gate, string decision)
        {
            string link = await Eventually.Found(async () => ApprovalMails.LinkFor((await host.Http.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("/api/outbox"))!,
                gate, approver, id), TimeSpan.FromSeconds(60), $"a {gate} link for {id}");
            Assert.Contains((await host.DecideAsync(link, decision)).Status, new[] { 200, 202 });
        }

        async Task ConfirmAndNotifyAsync(string id)
        {
            await DecideAsync(id, SecurityLead, Gates.Confirm, Decisions.Approve);
            await DecideAsync(id, Legal, Gates.Notify, Decisions.Approve);
        }

        // v1: auto-contained, confirmed, clients notified, closed (triaged at intake).
        string confirmed = await StartAsync(nameof(RespondToIncident), Alert("critical-bribery.json"), triagedAtIntake: true);
        // v1: triaged by the activity (incidents started before intake triaged), contained, rejected: access restored.
        string falsePositive = await StartAsync(nameof(RespondToIncident), Alert("critical-bribery.json", s => s
            .Replace("ravi.k@vendor.example", "dev.p@vendor.example").Replace("purview-7f3a91", "purview-7f3a92")), triagedAtIntake: false);
        // v1's unreviewed path (ask first, nobody decides through a chain of 1 s steps) is replayed from its fixture only: run
        // live on Azurite it ended Failed, without failure details, in about one run in four. Diagnosed since: a step's end
        // timer that fires just early (a queue message becomes visible on whole seconds) was taken for a reminder of a gate
        // without reminders (GateStepEndFiredEarlyTests); fixed in v2, v1 is frozen.
        // v2 (current): the confirmed path with its lifecycle events.
        string confirmedV2 = await StartAsync(nameof(RespondToIncidentV2), Alert("critical-bribery.json", s => s
            .Replace("ravi.k@vendor.example", "liza.r@vendor.example").Replace("fab-pune-1", "fab-manila-1")
            .Replace("\"northwind-bank\", \"contoso-pay\"", "\"northwind-bank\"").Replace("purview-7f3a91", "purview-7f3a93")), triagedAtIntake: true);

        // v2 as every incident starts today: through intake, triaged and contained there, the opening announced in one
        // call (IntakeContains, OpeningInOneCall in its input), its first step finding intake's containment. At a site of
        // its own: a second confirmed insider at ravi's site within 30 days proposes vendor offboarding, and whichever of
        // the two was confirmed second ran that gate's two 1-minute steps (a race that failed this test two runs in three;
        // the fixture first recorded for this path had lost it, and replays on as v2-contained-at-intake-vendor-gate-expired).
        var (status, intakeV2, outcome) = await host.SendSampleAsync("critical-bribery.json", s => s
            .Replace("ravi.k@vendor.example", "asha.m@vendor.example").Replace("fab-pune-1", "fab-indore-1").Replace("purview-7f3a91", "purview-7f3a94"));
        Assert.True(status == 202 && outcome == Cordon.Intake.IntakeOutcomes.Started, $"intake answered {status} {outcome}");

        await Task.WhenAll(
            ConfirmAndNotifyAsync(confirmed),
            DecideAsync(falsePositive, SecurityLead, Gates.Confirm, Decisions.Reject),
            ConfirmAndNotifyAsync(confirmedV2),
            ConfirmAndNotifyAsync(intakeV2));

        var runs = new (string Id, string Orchestrator, Func<ITaskOrchestrator> Code, string Fixture, string Path, string Outcome)[]
        {
            (confirmed, nameof(RespondToIncident), () => new RespondToIncident(), "v1-confirmed.json", "auto-contain, confirm, notify, close", Outcomes.ConfirmedInsider),
            (falsePositive, nameof(RespondToIncident), () => new RespondToIncident(), "v1-false-positive.json", "triage activity, contain, reject, restore, close", Outcomes.FalsePositive),
            // v2-confirmed.json is this path before the containment step preserved the first alert's evidence too.
            (confirmedV2, nameof(RespondToIncidentV2), () => new RespondToIncidentV2(), "v2-confirmed-preserved-with-containment.json",
                "auto-contain (the alert's evidence preserved by the containment step), confirm, notify, close, with lifecycle events", Outcomes.ConfirmedInsider),
            // v2-contained-at-intake.json is this path before intake announced the opening itself (PublishIncidentEvents
            // after ContainSubject), v2-announced-at-intake.json before the containment step preserved the first alert's
            // evidence too (PreserveEvidence after ContainSubject): incidents that ran so replay from those fixtures.
            (intakeV2, nameof(RespondToIncidentV2), () => new RespondToIncidentV2(), "v2-preserved-with-containment.json",
                "started by intake: contained and its opening announced at intake, its alert's evidence preserved by the containment step, confirm, notify, close", Outcomes.ConfirmedInsider),
        };
        var service = (IOrchestrationServiceClient)host.Host.Backend.Service;
        foreach (var run in runs)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            OrchestrationMetadata done = await host.Host.Client.WaitForInstanceCompletionAsync(run.Id, getInputsAndOutputs: true, wait.Token);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{run.Fixture}: {done.RuntimeStatus} {done.FailureDetails}");
            Assert.Equal(run.Outcome, done.ReadOutputAs<IncidentResult>()!.Outcome);
            OrchestrationState state = (await service.GetOrchestrationStateAsync(run.Id, allExecutions: false)).Single();
            IReadOnlyList<HistoryEvent> history = HistoryFixture.Events(await service.GetOrchestrationHistoryAsync(run.Id, state.OrchestrationInstance.ExecutionId));

            var episodes = HistoryReplay.Run(run.Orchestrator, run.Code, history);
            Assert.True(episodes.All(e => e.Matches), $"{run.Fixture}: the fresh history does not replay through {run.Orchestrator}:{Environment.NewLine}{HistoryReplay.Mismatches(episodes)}");
            if (Recording)
            {
                new HistoryFixture(run.Orchestrator, run.Path, run.Outcome, history).Save(run.Fixture);
            }
            else
            {
                Assert.Equal(HistoryReplay.Activities(HistoryFixture.Load(run.Fixture).History), HistoryReplay.Activities(history));
            }
        }
    }
}
