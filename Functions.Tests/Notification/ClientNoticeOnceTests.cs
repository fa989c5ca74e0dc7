namespace Cordon.Tests.Notification;

/// <summary>The notice step re-runs after a failure (or a crash); what was already delivered is not delivered again.</summary>
public sealed class ClientNoticeOnceTests
{
    [Fact]
    public async Task A_notice_step_retried_after_a_webhook_failure_mails_each_client_once()
    {
        await using RecordingServer webhook = await RecordingServer.StartNewAsync();
        // Refused twice (both step attempts), accepted after the operator's retry.
        webhook.Enqueue(HttpStatusCode.BadRequest);
        webhook.Enqueue(HttpStatusCode.BadRequest);
        await using TestHost host = await TestHost.StartAsync(world: TestHost.EditedWorld(w => TestHost.Client(w, "northwind-bank")["noticeWebhookUrl"] = webhook.BaseUrl + "/notices"));
        var (_, id, _) = await host.SendSampleAsync();
        await host.ConfirmAndApproveNoticeAsync(id);
        IncidentDetail waiting = await host.WaitForAsync(id, d => d.WaitingForOperator is not null);
        Assert.Equal("SendClientNotices", waiting.WaitingForOperator!.Step);

        var retry = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "retry", @operator = "olga.ops", reason = "client webhook fixed" });
        Assert.Equal(202, (int)retry.StatusCode);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);

        Assert.Equal(Outcomes.ConfirmedInsider, closed.Outcome);
        Assert.Equal(3, webhook.Requests.Count);
        var notices = host.Host.Outbox.List().Where(m => m.Category == "client-notice").ToList();
        Assert.Single(notices, m => m.To.Contains("security@northwind-bank.example"));
        Assert.Single(notices, m => m.To.Contains("ciso@contoso-pay.example"));
        Assert.Contains(closed.Timeline, t => t.Step == "client notified" && t.Detail.Contains("northwind-bank via webhook", StringComparison.Ordinal));
    }
}
