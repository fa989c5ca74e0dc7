using Cordon.Adapters.Events;
using Azure.Messaging.ServiceBus;
using Cordon.Incidents.V1;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cordon.Tests.Incidents;

/// <summary>Lifecycle events as CloudEvents on a Service Bus topic, captured at the SDK boundary.</summary>
public sealed class IncidentEventTests
{
    static IncidentEventPublisher Publisher(ServiceBusSender? sender) =>
        new(Options.Create(new IncidentEventOptions { Topic = "incident-events", Source = "/cordon/test" }), NullLogger<IncidentEventPublisher>.Instance, sender);

    [Fact]
    public async Task Contained_event_leaves_as_a_structured_cloud_event_with_subject_properties_and_a_deterministic_message_id()
    {
        var sender = new RecordingSender();
        var notice = new IncidentEventNotice("inc-0123456789ab-1", LifecycleEvents.Contained, Stages.Containment, null, "critical",
            "ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1", new DateTime(2026, 11, 25, 9, 30, 0, DateTimeKind.Utc), "contained");

        string id = await Publisher(sender).PublishAsync(notice, default);
        await Publisher(sender).PublishAsync(notice, default); // a retried activity

        Assert.Equal(2, sender.Sent.Count);
        Assert.Single(sender.Sent.Select(m => m.MessageId).Distinct()); // the topic's duplicate detection drops the second
        ServiceBusMessage message = sender.Sent.First();
        Assert.Equal("inc-0123456789ab-1:contained", id);
        Assert.Equal(id, message.MessageId);
        Assert.Equal("inc-0123456789ab-1", message.Subject);
        Assert.Equal("application/cloudevents+json; charset=utf-8", message.ContentType);
        Assert.Equal("com.cordon.incident.contained", message.ApplicationProperties["type"]);
        Assert.Equal("inc-0123456789ab-1", message.ApplicationProperties["incidentId"]);
        Assert.Equal(Stages.Containment, message.ApplicationProperties["stage"]);
        Assert.Equal("critical", message.ApplicationProperties["severity"]);
        Assert.False(message.ApplicationProperties.ContainsKey("outcome"));

        JsonElement body = JsonDocument.Parse(message.Body.ToString()).RootElement;
        Assert.Equal("1.0", body.GetProperty("specversion").GetString());
        Assert.Equal("com.cordon.incident.contained", body.GetProperty("type").GetString());
        Assert.Equal("/cordon/test", body.GetProperty("source").GetString());
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.Equal("inc-0123456789ab-1", body.GetProperty("subject").GetString());
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 9, 30, 0, TimeSpan.Zero), body.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("application/json", body.GetProperty("datacontenttype").GetString());
        Assert.Equal("fab-pune-1", body.GetProperty("data").GetProperty("siteId").GetString());
        Assert.Equal("ravi.k@vendor.example", body.GetProperty("data").GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Without_a_topic_the_event_is_only_logged_and_keeps_its_id()
    {
        var notice = new IncidentEventNotice("inc-0123456789ab-1", LifecycleEvents.Closed, Stages.Closed, Outcomes.FalsePositive, "high",
            "ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1", DateTime.UtcNow, "closed");

        Assert.Equal("inc-0123456789ab-1:closed", await Publisher(null).PublishAsync(notice, default));
        Assert.Equal(Outcomes.FalsePositive, Publisher(null).ToMessage(notice).ApplicationProperties["outcome"]);
    }

    [Fact]
    public async Task Confirmed_incident_publishes_opened_contained_decided_notified_and_closed_once_each_in_order()
    {
        var sender = new RecordingSender();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<ServiceBusSender>(sender));
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Approve)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify"), Decisions.Approve)).Status);

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        OrchestrationMetadata done = await host.Host.Client.WaitForInstanceCompletionAsync(id, wait.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var events = sender.Sent.Where(m => (string)m.ApplicationProperties["incidentId"] == id).ToList();
        Assert.Equal(
            ["opened", "contained", "decided", "notified", "closed"],
            events.Select(m => (string)m.ApplicationProperties["event"]));
        Assert.Equal(events.Count, events.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(Outcomes.ConfirmedInsider, events.Single(m => (string)m.ApplicationProperties["event"] == "decided").ApplicationProperties["outcome"]);
        Assert.Equal(Outcomes.ConfirmedInsider, events[^1].ApplicationProperties["outcome"]);
        Assert.All(events, m => Assert.Equal(id, m.Subject));
    }

    [Fact]
    public async Task Several_events_leave_in_one_send_in_their_order_and_a_retry_resends_the_same_ids()
    {
        var sender = new RecordingSender();
        DateTime at = new(2026, 11, 25, 9, 30, 0, DateTimeKind.Utc);
        IncidentEventNotice[] notices =
        [
            new("inc-0123456789ab-1", LifecycleEvents.Opened, Stages.Containment, null, "critical", "ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1", at, "alert a-1"),
            new("inc-0123456789ab-1", LifecycleEvents.Contained, Stages.Containment, null, "critical", "ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1", at, "contained"),
        ];

        IReadOnlyList<string> ids = await Publisher(sender).PublishAllAsync(notices, default);
        await Publisher(sender).PublishAllAsync(notices, default); // a retried activity

        Assert.Equal(["inc-0123456789ab-1:opened", "inc-0123456789ab-1:contained"], ids);
        Assert.Equal(2, sender.Calls.Count);
        Assert.All(sender.Calls, call => Assert.Equal(ids, call.Select(m => m.MessageId)));
        Assert.Equal(ids, await Publisher(null).PublishAllAsync(notices, default)); // no topic: logged, same ids
    }

    [Fact]
    public async Task Incident_contained_at_intake_announces_opened_and_contained_in_one_send_then_the_rest_in_order()
    {
        var sender = new RecordingSender();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<ServiceBusSender>(sender));
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count > 0);

        var calls = sender.Calls.Where(c => c.Any(m => (string)m.ApplicationProperties["incidentId"] == id)).ToList();
        IReadOnlyList<ServiceBusMessage> first = Assert.Single(calls);
        Assert.Equal(["opened", "contained"], first.Select(m => (string)m.ApplicationProperties["event"]));
        Assert.Equal(Stages.Containment, first[0].ApplicationProperties["stage"]);
    }

    [Fact]
    public async Task Intake_announces_the_opening_as_soon_as_it_contains_without_waiting_for_the_incidents_steps()
    {
        var sender = new RecordingSender();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<ServiceBusSender>(sender));
        // An incident whose steps have not run at all (a backlog): only intake is at work.
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        ResponsePlan plan = TriageAlert.Plan(alert, host.Host.Services.GetRequiredService<Cordon.Configuration.LiveConfiguration>().Current);
        var input = new IncidentInput("inc-000000000000-1", alert, DateTime.UtcNow, plan, IntakeContains: true, OpeningInOneCall: true);

        await host.Host.Services.GetRequiredService<Cordon.Intake.ContainAtIntake>().TryAsync(input);

        IReadOnlyList<ServiceBusMessage> call = await Eventually.Found(() => sender.Calls.FirstOrDefault(), TimeSpan.FromSeconds(10), "intake's announcement");
        Assert.Equal(["inc-000000000000-1:opened", "inc-000000000000-1:contained"], call.Select(m => m.MessageId));
        Assert.All(call, m => Assert.Equal(Stages.Containment, m.ApplicationProperties["stage"]));
        Assert.Contains("exposure ends by 20", JsonDocument.Parse(call[1].Body.ToString()).RootElement.GetProperty("data").GetProperty("detail").GetString());
        // The record the incident reads says so, and was written only after the announcement.
        var evidence = host.Host.Services.GetRequiredService<Cordon.Evidence.IEvidenceStore>();
        byte[] record = await Eventually.Found(() => evidence.GetAsync(input.IncidentId, "containment-1.json", CancellationToken.None), TimeSpan.FromSeconds(10), "the containment record");
        Assert.True(JsonSerializer.Deserialize<Cordon.Containment.ContainmentRecord>(record, CordonJson.Options)!.AnnouncedAtIntake);
    }

    [Theory]
    [InlineData(false)] // the topic refuses intake's send
    [InlineData(true)] // the topic does not answer: intake gives up after ContainAtIntake.AnnounceWithin
    public async Task Opening_intake_could_not_announce_is_announced_by_the_incident_once(bool hang)
    {
        var sender = new RecordingSender { FailFirstCalls = 1, Hang = hang };
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<ServiceBusSender>(sender));
        DateTime sent = DateTime.UtcNow;
        var (_, id, _) = await host.SendSampleAsync();
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count > 0, seconds: 60);
        // Intake wrote the record (it gave up on the topic), not the incident's step after intake's lease ran out.
        var stored = (await host.Host.Services.GetRequiredService<Cordon.Evidence.IEvidenceStore>().ListAsync(id, CancellationToken.None)).Single(i => i.Name == "containment-1.json");
        Assert.True(stored.StoredAt - sent < Cordon.Containment.ContainSubject.IntakeLease, $"record stored {(stored.StoredAt - sent).TotalSeconds:0.0} s after the alert");

        var calls = sender.Calls.Where(c => c.Any(m => (string)m.ApplicationProperties["incidentId"] == id)).ToList();
        IReadOnlyList<ServiceBusMessage> first = Assert.Single(calls);
        Assert.Equal(["opened", "contained"], first.Select(m => (string)m.ApplicationProperties["event"]));
        Assert.DoesNotContain(d.Timeline, t => t.Step == TimelineSteps.EventNotPublished);
        byte[] record = (await host.Host.Services.GetRequiredService<Cordon.Evidence.IEvidenceStore>().GetAsync(id, "containment-1.json", CancellationToken.None))!;
        Assert.False(JsonSerializer.Deserialize<Cordon.Containment.ContainmentRecord>(record, CordonJson.Options)!.AnnouncedAtIntake);
    }

    [Fact]
    public async Task Incident_started_before_opening_in_one_call_keeps_announcing_opened_and_contained_separately()
    {
        var sender = new RecordingSender();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<ServiceBusSender>(sender));
        // As intake started incidents before: triaged, no containment at intake, opening in two calls.
        string id = await StartSampleAsync(host, IncidentWorkflow.Current, triaged: true);

        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.ContainedAt is not null && d.PendingApprovals.Count > 0);
        var calls = sender.Calls.Where(c => c.Any(m => (string)m.ApplicationProperties["incidentId"] == id)).ToList();
        Assert.Equal([["opened"], ["contained"]], calls.Select(c => c.Select(m => (string)m.ApplicationProperties["event"]).ToArray()));
    }

    [Fact]
    public async Task Incident_running_on_the_v1_workflow_announces_nothing_so_its_history_replays()
    {
        var sender = new RecordingSender();
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<ServiceBusSender>(sender));
        string id = await StartSampleAsync(host, nameof(RespondToIncident), triaged: false);

        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.ContainedAt is not null);
        Assert.Empty(sender.Sent);
        Assert.Equal(nameof(RespondToIncidentV2), IncidentWorkflow.Current);
    }

    /// <summary>Starts the sample alert's incident on <paramref name="orchestrator"/> directly, with an input as intake built it before.</summary>
    static async Task<string> StartSampleAsync(TestHost host, string orchestrator, bool triaged)
    {
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);
        ResponsePlan? plan = triaged ? TriageAlert.Plan(alert, host.Host.Services.GetRequiredService<Cordon.Configuration.LiveConfiguration>().Current) : null;
        await host.Host.Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, new IncidentInput(id, alert, DateTime.UtcNow, plan),
            new Microsoft.DurableTask.StartOrchestrationOptions(id));
        return id;
    }
}
