using System.Net;
using System.Net.Http.Json;
using Cordon.Evidence;
using Cordon.Monitoring;
using Cordon.Operators;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Incidents;

/// <summary>
/// An incident whose workflow failed (a bug: here an alert event the workflow cannot read, raised straight into it) is
/// restarted by an operator: same id, same alert and plan, a new run that finds its done steps done (containment is not
/// applied twice) and goes on to its gate, whose approvers are asked again in mails that say so. Who restarted it is on
/// the timeline and in the evidence. Only a failed incident restarts, never by its own subject.
/// </summary>
public sealed class RestartFailedIncidentTests
{
    const string Lead = "sam.lead@cordon-customer.example";

    static Task<HttpResponseMessage> ActAsync(HttpClient http, string id, string action, string reason = "cause fixed (hotfix deployed)") =>
        http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action, reason });

    static List<Cordon.Local.Connectors.OutboxMail> ApprovalMailsTo(TestHost host, string id, string approver) =>
        host.Host.Outbox.List().Where(m => m.Category == "approval-request" && m.To.Contains(approver) && m.CustomArgs.GetValueOrDefault("incidentId") == id).ToList();

    /// <summary>Makes the incident's workflow fail: an alert event it cannot read (raised past intake, which never sends one) throws in its own code.</summary>
    static async Task FailAsync(TestHost host, string id)
    {
        await host.Host.Client.RaiseEventAsync(id, IncidentEvents.AlertMerged, "not an alert");
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await host.Host.Client.WaitForInstanceCompletionAsync(id, wait.Token)).RuntimeStatus);
    }

    [Fact]
    public async Task A_failed_incident_restarted_by_an_operator_goes_on_to_its_gate_without_containing_or_asking_again_unmarked()
    {
        await using TestHost host = await TestHost.StartAsync();
        await RestartGoesOnAsync(host);
    }

    /// <summary>The scenario, on whichever backend <paramref name="host"/> runs.</summary>
    internal static async Task RestartGoesOnAsync(TestHost host)
    {
        string id = await host.SendSampleToConfirmationAsync();
        await host.MailAsync(m => m.Category == "approval-request" && m.To.Contains(Lead));
        IncidentDetail before = await host.IncidentAsync(id);
        Assert.Equal("confirm-1", before.PendingApprovals[0].GateId);

        await FailAsync(host, id);
        IncidentDetail failed = await host.IncidentAsync(id);
        Assert.Equal("Failed", failed.RuntimeStatus);

        HttpResponseMessage restarted = await ActAsync(host.Http, id, OperatorActions.Restart);
        Assert.Equal(HttpStatusCode.Accepted, restarted.StatusCode);
        Assert.Equal(1, (await restarted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("restart").GetInt32());

        IncidentDetail after = await host.WaitForAsync(id, d => d.RuntimeStatus == "Running" && d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        Assert.Equal("confirm-r1-1", after.PendingApprovals[0].GateId);
        // Who restarted it, and why, on the timeline (after the failed run's entries, where the backend kept its status:
        // the in-memory one keeps none for a failed orchestration).
        TimelineEntry restart = Assert.Single(after.Timeline, t => t.Step == TimelineSteps.Restarted);
        Assert.Equal(failed.Timeline.Count, after.Timeline.ToList().IndexOf(restart));
        Assert.Contains($"{TestHost.OperatorName} ({TestHost.OperatorUsername})", restart.Detail, StringComparison.Ordinal);
        Assert.Contains("cause fixed (hotfix deployed)", restart.Detail, StringComparison.Ordinal);
        // Containment was found done, not applied again: the same record, and only one.
        Assert.Equal(before.ContainedAt, after.ContainedAt);
        var evidence = host.Host.Services.GetRequiredService<IEvidenceStore>();
        IReadOnlyList<EvidenceItem> items = await evidence.ListAsync(id, CancellationToken.None);
        Assert.Single(items, i => i.Name.StartsWith("containment-", StringComparison.Ordinal) && char.IsDigit(i.Name["containment-".Length]));
        EvidenceItem request = Assert.Single(items, i => i.Name.StartsWith("operator-restart-1-", StringComparison.Ordinal));
        string recorded = System.Text.Encoding.UTF8.GetString((await evidence.GetAsync(id, request.Name, CancellationToken.None))!);
        Assert.Contains(TestHost.OperatorUsername, recorded, StringComparison.Ordinal);

        // The approver is asked again, and the mail says why; the failed run's link no longer decides anything.
        await Eventually.Until(() => Task.FromResult(ApprovalMailsTo(host, id, Lead)), m => m.Count == 2, TimeSpan.FromSeconds(20), "the second approval mail");
        var mails = ApprovalMailsTo(host, id, Lead).OrderBy(m => m.SentAt).ToList();
        Assert.DoesNotContain("Asked again", mails[0].Subject, StringComparison.Ordinal);
        Assert.StartsWith("Asked again: ", mails[1].Subject, StringComparison.Ordinal);
        Assert.Contains("restarted", mails[1].Text, StringComparison.Ordinal);
        Assert.Equal("confirm-r1-1", mails[1].CustomArgs["gateId"]);

        // The failed run's link is answered at once, and decides nothing.
        var (oldStatus, oldPage) = await host.DecideAsync(new Uri(mails[0].Links[0]).PathAndQuery, Decisions.Approve);
        Assert.Equal(409, oldStatus);
        Assert.Contains("no longer open", oldPage, StringComparison.Ordinal);
        Assert.Empty((await host.IncidentAsync(id)).PendingApprovals.Single().Votes);

        // It goes on: the new link decides the new gate.
        string link = new Uri(mails[1].Links[0]).PathAndQuery;
        await host.DecideAsync(link, Decisions.Approve);
        IncidentDetail confirmed = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);
        Assert.Equal("notify-r1-2", confirmed.PendingApprovals[0].GateId);
        Assert.Single(confirmed.Timeline, t => t.Step == TimelineSteps.Contained && t.At > restart.At);
        Assert.Single(await evidence.ListAsync(id, CancellationToken.None), i => i.Name.StartsWith("containment-", StringComparison.Ordinal) && char.IsDigit(i.Name["containment-".Length]));
    }

    [Fact]
    public async Task Six_restarts_at_once_start_one_run_and_the_others_are_refused_without_a_5xx()
    {
        // Found by an attack: two requests in the same millisecond named their evidence record alike; the write-once
        // store refused the second and the operator got an empty 500.
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        await FailAsync(host, id);

        HttpResponseMessage[] answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => ActAsync(host.Http, id, OperatorActions.Restart, $"cause fixed ({i})")));

        var codes = answers.Select(a => (int)a.StatusCode).ToList();
        Assert.Single(codes, c => c == 202);
        Assert.All(codes.Where(c => c != 202), c => Assert.Equal(409, c));
        IncidentDetail after = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == TimelineSteps.Restarted));
        Assert.Single(after.Timeline, t => t.Step == TimelineSteps.Restarted);
    }

    [Fact]
    public async Task Only_a_failed_incident_restarts_only_by_an_operator_who_is_not_its_subject()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();

        // Running: nothing to restart.
        HttpResponseMessage running = await ActAsync(host.Http, id, OperatorActions.Restart);
        Assert.Equal(HttpStatusCode.Conflict, running.StatusCode);
        Assert.Contains("Running", await running.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Unknown incident.
        Assert.Equal(HttpStatusCode.NotFound, (await ActAsync(host.Http, "inc-000000000000-9", OperatorActions.Restart)).StatusCode);

        await FailAsync(host, id);
        IncidentDetail failed = await host.IncidentAsync(id);

        // The dashboard's page of the failed incident offers the restart, and nothing else.
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await host.Http.GetStringAsync($"/api/dashboard/incidents/{id}"));
        Assert.Equal(new[] { OperatorActions.Restart }, page.QuerySelectorAll("form[data-action]").Select(f => f.GetAttribute("data-action")));

        // Another action on a failed incident points to restart.
        HttpResponseMessage retry = await ActAsync(host.Http, id, OperatorActions.Retry);
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        Assert.Contains("restart", await retry.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A reader may not act; the subject, even holding the operator role, never acts on their own incident.
        using var reader = new HttpClient { BaseAddress = host.Host.BaseAddress }.SignedInAs("Rita Reader", OperatorRoles.Reader, "rita.reader@cordon-customer.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await ActAsync(reader, id, OperatorActions.Restart)).StatusCode);
        using var subject = new HttpClient { BaseAddress = host.Host.BaseAddress }.SignedInAs("The Subject", OperatorRoles.Operator, failed.Subject.ToUpperInvariant());
        HttpResponseMessage bySubject = await ActAsync(subject, id, OperatorActions.Restart);
        Assert.Equal(HttpStatusCode.Forbidden, bySubject.StatusCode);
        Assert.Contains("subject", await bySubject.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // No reason: refused like every action.
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = OperatorActions.Restart })).StatusCode);

        // Nothing of it restarted the incident.
        Assert.Equal("Failed", (await host.IncidentAsync(id)).RuntimeStatus);
        Assert.DoesNotContain(await host.Host.Services.GetRequiredService<IEvidenceStore>().ListAsync(id, CancellationToken.None),
            i => i.Name.StartsWith("operator-restart-", StringComparison.Ordinal));

        // Restarted once from the dashboard's form (back to the incident page), a second restart of the running incident is refused.
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.Host.BaseAddress }
            .SignedInAs(TestHost.OperatorName, OperatorRoles.Operator, TestHost.OperatorUsername);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = OperatorActions.Restart, ["reason"] = "fixed" });
        HttpResponseMessage posted = await noRedirect.PostAsync($"/api/incidents/{id}/actions", form);
        Assert.Equal(HttpStatusCode.SeeOther, posted.StatusCode);
        Assert.Contains(id, posted.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await ActAsync(host.Http, id, OperatorActions.Restart)).StatusCode);
        await host.WaitForAsync(id, d => d.RuntimeStatus == "Running" && d.PendingApprovals.Count == 1);
    }
}

/// <summary>The same restart on the Azure Storage provider (Azurite), the provider Durable Functions uses in Azure: the failed instance is replaced in place.</summary>
public sealed class RestartFailedIncidentOnAzureStorageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task A_failed_incident_restarts_in_place_on_Azure_Storage()
    {
        await using TestHost host = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, taskHub: "restart");
        await RestartFailedIncidentTests.RestartGoesOnAsync(host);
    }
}
