namespace Cordon.Tests.Notification;

/// <summary>A client that takes incident notices on a webhook gets them signed, once, with proof recorded.</summary>
public sealed class ClientNoticeWebhookTests
{
    [Fact]
    public async Task Approved_notice_reaches_the_clients_webhook_signed_retried_once_after_503_and_proof_is_on_the_timeline()
    {
        await using RecordingServer client = await RecordingServer.StartNewAsync();
        client.Enqueue(HttpStatusCode.ServiceUnavailable, retryAfter: "1");
        await using TestHost host = await TestHost.StartAsync(world: TestHost.EditedWorld(w => TestHost.Client(w, "northwind-bank")["noticeWebhookUrl"] = client.BaseUrl + "/notices"));
        var (_, id, _) = await host.SendSampleAsync();
        await host.ConfirmAndApproveNoticeAsync(id);

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);

        Assert.Equal(Outcomes.ConfirmedInsider, d.Outcome);
        Assert.Equal(2, client.Requests.Count); // the 503, then the delivery
        Assert.All(client.Requests, r => Assert.Equal($"{id}:notice:northwind-bank", r.Headers["Idempotency-Key"]));
        RecordedRequest delivered = client.Requests[1];
        string key = host.Host.Services.GetRequiredService<IOptions<WebhookOptions>>().Value.SigningKey;
        Assert.True(SignedWebhook.Verify(Encoding.UTF8.GetBytes(delivered.Body), key, delivered.Headers["X-Cordon-Signature"]));
        Assert.Equal("application/json", delivered.Headers["Content-Type"]);
        JsonNode notice = JsonNode.Parse(delivered.Body)!;
        Assert.Equal("cordon.incident-notice.v1", (string?)notice["type"]);
        Assert.Equal(id, (string?)notice["incidentId"]);
        Assert.Contains(notice["deadlines"]!.AsArray(), x => (string?)x!["name"] == "GDPR");
        Assert.DoesNotContain("ravi", delivered.Body, StringComparison.OrdinalIgnoreCase); // the notice names no agent
        Assert.Single(d.Timeline, t => t.Step == "client notified" && t.Detail.Contains("northwind-bank via webhook", StringComparison.Ordinal));
        Assert.Contains(d.Timeline, t => t.Step == "client notified" && t.Detail.Contains("northwind-bank via email", StringComparison.Ordinal));
    }
}

[Trait("Category", "Unit")]
public sealed class WebhookKeyRotationTests
{
    static readonly byte[] Body = "{\"incidentId\":\"inc-1\"}"u8.ToArray();
    static readonly string OldKey = Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray());
    static readonly string NewKey = Convert.ToBase64String(Enumerable.Repeat((byte)2, 32).ToArray());

    [Fact]
    public void During_a_rotation_deliveries_carry_both_signatures_and_receivers_on_either_key_accept_them()
    {
        var rotating = new WebhookOptions { SigningKey = NewKey, PreviousSigningKey = OldKey };
        string header = SignedWebhook.Signatures(Body, rotating);

        Assert.True(SignedWebhook.Verify(Body, new WebhookOptions { SigningKey = OldKey }, header)); // receiver not yet moved
        Assert.True(SignedWebhook.Verify(Body, new WebhookOptions { SigningKey = NewKey }, header)); // receiver already moved
        Assert.False(SignedWebhook.Verify("{}"u8.ToArray(), new WebhookOptions { SigningKey = NewKey }, header));
    }

    [Fact]
    public void A_verifier_accepts_the_previous_key_until_it_is_removed()
    {
        string signedWithOld = SignedWebhook.Signatures(Body, new WebhookOptions { SigningKey = OldKey });

        Assert.True(SignedWebhook.Verify(Body, new WebhookOptions { SigningKey = NewKey, PreviousSigningKey = OldKey }, signedWithOld));
        Assert.False(SignedWebhook.Verify(Body, new WebhookOptions { SigningKey = NewKey }, signedWithOld));
    }
}
