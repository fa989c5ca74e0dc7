using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Cordon.Evidence;

namespace Cordon.Tests.Incidents;

/// <summary>Triage at intake: containment comes first, and incidents started without a plan still run.</summary>
public sealed class ContainmentFirstTests
{
    [Fact]
    public async Task Critical_alert_is_contained_before_its_evidence_is_preserved_and_its_gate_mailed()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));

        var steps = d.Timeline.Select(t => t.Step).ToList();
        Assert.Equal(["opened", "triaged", "contained"], steps.Take(3));
        Assert.True(steps.IndexOf("contained") < steps.IndexOf("evidence preserved"));
        Assert.True(steps.IndexOf("evidence preserved") < steps.IndexOf("gate opened"));
    }

    [Fact]
    public async Task Containment_step_preserves_the_alerts_evidence_so_the_incident_runs_no_evidence_step_of_its_own()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count > 0);

        Assert.Single(d.Timeline, t => t.Step == TimelineSteps.EvidencePreserved && t.Detail.StartsWith("initial alert: 2 items", StringComparison.Ordinal));
        // The alert and the directory record were collected by the containment step, not by an evidence step after it.
        List<CustodyEntry> custody = Custody(host, id);
        Assert.Equal(["cordon/ContainSubject", "cordon/ContainSubject"],
            custody.Where(e => e.Item.StartsWith("alert-", StringComparison.Ordinal) || e.Item.StartsWith("directory-", StringComparison.Ordinal)).Select(e => e.Actor));
        Assert.True((await host.Host.Services.GetRequiredService<IEvidenceStore>().VerifyAsync(id, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task Evidence_the_containment_step_could_not_store_is_preserved_by_the_incidents_own_step_and_containment_still_shows()
    {
        await using TestHost host = await TestHost.StartAsync(configure: s => FailFirstPut.Around(s, "alert-"));
        var store = (FailFirstPut)host.Host.Services.GetRequiredService<IEvidenceStore>();
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count > 0);

        Assert.True(store.Failed);
        Assert.NotNull(d.ContainedAt);
        Assert.DoesNotContain(d.Timeline, t => t.Step == "step failed");
        Assert.Single(d.Timeline, t => t.Step == TimelineSteps.EvidencePreserved);
        List<CustodyEntry> custody = Custody(host, id);
        Assert.Equal(["cordon/PreserveEvidence"], custody.Where(e => e.Item.StartsWith("alert-", StringComparison.Ordinal)).Select(e => e.Actor));
        Assert.True((await store.VerifyAsync(id, CancellationToken.None)).Ok);
    }

    /// <summary>The incident's custody log as the local folder store keeps it (one JSON entry per line).</summary>
    static List<CustodyEntry> Custody(TestHost host, string id) =>
        File.ReadAllLines(Path.Combine(host.DataDir, "evidence", id, "custody.jsonl"))
            .Select(l => System.Text.Json.JsonSerializer.Deserialize<CustodyEntry>(l, CordonJson.Options)!).ToList();

    [Fact]
    public async Task Incident_started_without_a_plan_is_triaged_by_the_activity_and_contained()
    {
        await using TestHost host = await TestHost.StartAsync();
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);

        await host.Host.Client.ScheduleNewOrchestrationInstanceAsync(new TaskName(IncidentWorkflow.Current),
            new IncidentInput(id, alert, DateTime.UtcNow), new StartOrchestrationOptions(id));

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));
        Assert.NotNull(d.ContainedAt);
        Assert.Contains(d.Timeline, t => t.Step == "triaged" && t.Detail.StartsWith("auto-contain", StringComparison.Ordinal));
        Assert.False(host.Host.Directory.Find(alert.Subject.UserPrincipalName)!.AccountEnabled);
    }

    const string Ravi = "ravi.k@vendor.example";

    [Fact]
    public async Task Auto_contain_alert_is_contained_by_intake_before_it_answers_whatever_the_backend_backlog()
    {
        // Each directory call takes 300 ms: the incident's own step could not have contained before the answer.
        await using TestHost host = await TestHost.StartAsync(directoryLatency: TimeSpan.FromMilliseconds(300));

        var (status, id, outcome) = await host.SendSampleAsync();
        DateTime answered = DateTime.UtcNow;

        Assert.Equal((202, "started"), (status, outcome));
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));
        Assert.True(d.ContainedAt <= answered, $"contained at {d.ContainedAt:O}, answered at {answered:O}");
        Assert.Equal(["opened", "triaged", "contained"], d.Timeline.Select(t => t.Step).Take(3));
        // The incident's containment step found intake's record and changed nothing again.
        Assert.Equal(1, host.Host.Directory.EffectCount($"revoke-sessions:{Ravi}"));
        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));
    }

    [Fact]
    public async Task Ask_first_alert_is_not_contained_at_intake()
    {
        await using TestHost host = await TestHost.StartAsync();

        var (_, id, _) = await host.SendSampleAsync("medium-off-hours.json");

        Assert.True(host.Host.Directory.Find("asha.m@vendor.example")!.AccountEnabled);
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));
        Assert.Null(d.ContainedAt);
        Assert.True(host.Host.Directory.Find("asha.m@vendor.example")!.AccountEnabled);
    }

    [Fact]
    public async Task A_critical_alert_naming_one_of_cordons_approvers_asks_first_and_contains_no_one()
    {
        // Found by an attack: a forged critical alert (a producer's key is enough) naming the security team's deputy would
        // have disabled her at intake. Cordon's own responders are contained only once someone else confirms.
        await using TestHost host = await TestHost.StartAsync();
        const string Deputy = "dana.deputy@cordon-customer.example";

        var (status, id, _) = await host.SendSampleAsync(edit: s => s.Replace("ravi.k@vendor.example", Deputy, StringComparison.Ordinal));
        string merged = (await host.SendSampleAsync(edit: s => s.Replace("ravi.k@vendor.example", Deputy, StringComparison.Ordinal)
            .Replace("\"alertId\": \"", "\"alertId\": \"second-", StringComparison.Ordinal))).IncidentId;

        Assert.Equal(202, status);
        Assert.Equal(id, merged);
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened") && d.AlertCount == 2);
        Assert.Null(d.ContainedAt);
        Assert.DoesNotContain(d.Timeline, t => t.Step == "contained");
        Assert.Contains(d.Timeline, t => t.Step == "triaged" && t.Detail == "ask first: the subject is one of Cordon's approvers (deputy): containment waits for confirmation");
    }

    [Fact]
    public async Task An_alert_naming_the_first_roles_only_approver_asks_the_next_role_at_once()
    {
        // Found by an attack: the subject, the security lead, not contained (a responder asks first) and nobody to ask in
        // the first step: the gate waited out the whole step (1 h in the sample policy) before asking the deputy.
        await using TestHost host = await TestHost.StartAsync();
        const string Lead = "sam.lead@cordon-customer.example";

        var (_, id, _) = await host.SendSampleAsync(edit: s => s.Replace("ravi.k@vendor.example", Lead, StringComparison.Ordinal));

        // The gate shows the deputy before the mail step is done; "escalated" is recorded once the deputy was mailed.
        IncidentDetail d = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "escalated"), seconds: 20);
        Assert.Contains(d.Timeline, t => t.Step == "gate opened" && t.Detail == "confirm: no eligible approver in role securityLead; escalating at once");
        Assert.Contains(d.Timeline, t => t.Step == "escalated" && t.Detail.StartsWith("confirm: asked deputy (dana.deputy@cordon-customer.example)", StringComparison.Ordinal));
        Assert.Null(d.ContainedAt);
        Assert.Contains(await host.MailAsync(m => m.Category == "approval-request" && m.To.Contains("dana.deputy@cordon-customer.example")).ContinueWith(t => t.Result.To), a => a == "dana.deputy@cordon-customer.example");
    }

    [Fact]
    public async Task Next_incident_after_a_false_positive_is_contained_afresh_not_from_the_old_record()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"));
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), "reject")).Status);
        await host.WaitForAsync(id, d => d.Outcome == Outcomes.FalsePositive);
        Assert.True(host.Host.Directory.Find(Ravi)!.AccountEnabled);

        // A new critical alert opens the next incident: its containment is a first containment of its own, not the old record.
        var (_, next, _) = await host.SendSampleAsync(edit: s => s.Replace("\"alertId\": \"", "\"alertId\": \"again-", StringComparison.Ordinal));

        Assert.NotEqual(id, next);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
        Assert.Equal(2, host.Host.Directory.EffectCount($"disable:{Ravi}"));
    }

    [Fact]
    public async Task Intake_crash_before_containing_costs_the_lease_and_the_incident_step_contains()
    {
        await using TestHost host = await TestHost.StartAsync();

        // What intake leaves when it dies right after starting the incident: an input promising containment at intake, nothing done.
        var (id, received, _) = await StartAsIntakeWouldAsync(host);

        IncidentDetail d = await host.WaitForAsync(id, d => d.ContainedAt is not null, seconds: 60);
        Assert.InRange((d.ContainedAt!.Value - received).TotalSeconds, Cordon.Containment.ContainSubject.IntakeLease.TotalSeconds - 1, Cordon.Containment.ContainSubject.IntakeLease.TotalSeconds + 15);
        Assert.DoesNotContain(d.Timeline, t => t.Step == "step failed");
        Assert.Null(d.WaitingForOperator);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
    }

    [Fact]
    public async Task Intake_crash_after_containing_but_before_its_record_costs_the_lease_and_the_step_records_it()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (id, received, input) = await StartAsIntakeWouldAsync(host);

        // Intake changes the directory, then dies before writing the record it was handed.
        var contain = host.Host.Services.GetRequiredService<Cordon.Containment.ContainSubject>();
        await contain.ContainAtIntakeAsync(FirstContainment.Request(input, input.Plan!, Ravi), _ => { }, CancellationToken.None);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);

        IncidentDetail d = await host.WaitForAsync(id, d => d.ContainedAt is not null, seconds: 60);
        Assert.True((d.ContainedAt!.Value - received) >= Cordon.Containment.ContainSubject.IntakeLease - TimeSpan.FromSeconds(1), $"contained at {d.ContainedAt:O}, received {received:O}: the step did not wait for intake's lease");
        Assert.DoesNotContain(d.Timeline, t => t.Step == "step failed");
        Assert.Null(d.WaitingForOperator);
        // The step applied the changes again (the directory had them already) and wrote the record intake never did.
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
        Assert.NotNull(await host.Host.Services.GetRequiredService<Cordon.Evidence.IEvidenceStore>().GetAsync(id, "containment-1.json", CancellationToken.None));
    }

    [Fact]
    public async Task Intake_that_comes_after_its_lease_finds_the_step_contained_and_changes_nothing_again()
    {
        await using TestHost host = await TestHost.StartAsync();
        // Intake stalled past its lease (a host starved for CPU): the incident's step took the snapshot and contained.
        var (id, _, input) = await StartAsIntakeWouldAsync(host, receivedAgo: Cordon.Containment.ContainSubject.IntakeLease + TimeSpan.FromSeconds(5));
        await host.WaitForAsync(id, d => d.ContainedAt is not null, seconds: 30);
        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));

        // Intake wakes up and contains as it would have: it does not read first, its snapshot is refused as the second.
        var contain = host.Host.Services.GetRequiredService<Cordon.Containment.ContainSubject>();
        var recorded = new List<Func<Task>>();
        await contain.ContainAtIntakeAsync(FirstContainment.Request(input, input.Plan!, Ravi), recorded.Add, CancellationToken.None);
        await Task.WhenAll(recorded.Select(write => write()));

        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));
        Assert.Equal(1, host.Host.Directory.EffectCount($"revoke-sessions:{Ravi}"));
    }

    [Fact]
    public async Task A_second_intake_of_the_same_incident_after_its_containment_is_recorded_changes_nothing()
    {
        // Racing first alerts can both be told "started"; the late one must not contain again a person whose access was
        // restored meanwhile (a false positive).
        await using TestHost host = await TestHost.StartAsync();
        var (_, _, input) = await StartAsIntakeWouldAsync(host);
        var contain = host.Host.Services.GetRequiredService<Cordon.Containment.ContainSubject>();
        var recorded = new List<Func<Task>>();
        await contain.ContainAtIntakeAsync(FirstContainment.Request(input, input.Plan!, Ravi), recorded.Add, CancellationToken.None);
        await Task.WhenAll(recorded.Select(write => write()));
        await host.Host.Directory.SetAccountEnabledAsync(Ravi, true, CancellationToken.None);

        recorded.Clear();
        await contain.ContainAtIntakeAsync(FirstContainment.Request(input, input.Plan!, Ravi), recorded.Add, CancellationToken.None);
        await Task.WhenAll(recorded.Select(write => write()));

        Assert.True(host.Host.Directory.Find(Ravi)!.AccountEnabled, "contained again by a second intake although containment 1 was recorded");
        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));
    }

    [Fact]
    public async Task Intake_whose_check_of_the_start_fails_hands_containment_to_the_step_at_once()
    {
        await using TestHost host = await TestHost.StartAsync();
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        var intake = host.Host.Services.GetRequiredService<Cordon.Intake.AlertIntake>();
        // The store answers the start, then fails intake's read of it (a storage blip): intake cannot tell whose plan runs.
        var flaky = new ReadsFailAfterStart(host.Host.Client);
        DateTime sent = DateTime.UtcNow;

        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => intake.SubmitAsync(flaky, alert, CancellationToken.None));

        string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);
        IncidentDetail d = await host.WaitForAsync(id, d => d.ContainedAt is not null, seconds: 60);
        // Not after intake's lease (20 s): the step was told at once.
        Assert.True(d.ContainedAt!.Value - sent < Cordon.Containment.ContainSubject.IntakeLease / 2, $"contained {(d.ContainedAt!.Value - sent).TotalSeconds:0.0} s after the alert");
        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));
        // Sent again (it was not acknowledged), the alert is the incident's own: one incident, one containment.
        var (status, again, outcome) = await host.SendSampleAsync();
        Assert.Equal((202, id, Cordon.Intake.IntakeOutcomes.Duplicate), (status, again, outcome));
        Assert.Equal(1, host.Host.Directory.EffectCount($"disable:{Ravi}"));
    }

    /// <summary>The real client, except that reading an instance fails once an orchestration has been scheduled.</summary>
    sealed class ReadsFailAfterStart(DurableTaskClient inner) : DurableTaskClient(inner.Name)
    {
        volatile bool scheduled;

        public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
        {
            string id = await inner.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, options, cancellation);
            scheduled = true;
            return id;
        }

        public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            scheduled ? throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "test: storage blip")) : inner.GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation);

        public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
            inner.RaiseEventAsync(instanceId, eventName, eventPayload, cancellation);

        public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) => inner.GetAllInstancesAsync(filter);

        public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            inner.WaitForInstanceStartAsync(instanceId, getInputsAndOutputs, cancellation);

        public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
            inner.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs, cancellation);

        public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => inner.SuspendInstanceAsync(instanceId, reason, cancellation);

        public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => inner.ResumeInstanceAsync(instanceId, reason, cancellation);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Starts the sample's incident as intake does (triaged, the input promising containment at intake) and nothing more.</summary>
    static async Task<(string Id, DateTime Received, IncidentInput Input)> StartAsIntakeWouldAsync(TestHost host, TimeSpan receivedAgo = default)
    {
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);
        ResponsePlan plan = TriageAlert.Plan(alert, host.Host.Services.GetRequiredService<Cordon.Configuration.LiveConfiguration>().Current);
        var input = new IncidentInput(id, alert, DateTime.UtcNow - receivedAgo, plan, IntakeContains: true);
        await host.Host.Client.ScheduleNewOrchestrationInstanceAsync(new TaskName(IncidentWorkflow.Current), input, new StartOrchestrationOptions(id));
        return (id, input.ReceivedAt, input);
    }
}
