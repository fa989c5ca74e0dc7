using Cordon.Local.Connectors;

namespace Cordon.Tests.Containment;

/// <summary>
/// The residual exposure window (issue "Honest containment"): what an already-issued credential can
/// still reach after containment, per resource class, and the client-system session kill that shortens it.
/// </summary>
public sealed class SessionKillTests
{
    const string Ravi = "ravi.k@vendor.example";

    const string ExposurePolicy = """
        {
          "confirm": { "chain": ["securityLead"], "stepTimeout": "00:05:00" },
          "exposure": { "cae": "00:15:00", "entra-token": "01:30:00", "vpn": "00:05:00" }
        }
        """;

    sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task Exposure_is_computed_for_every_resource_class_and_a_killed_client_session_ends_at_containment()
    {
        var containedAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero); // after the sample's detection (09:12): a detection ahead of the clock is refused
        await using TestHost host = await TestHost.StartAsync(ExposurePolicy, configure: s => s.AddSingleton<TimeProvider>(new FrozenClock(containedAt)));
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.ContainedAt is not null && d.Exposure.Count > 0);

        DateTime at = containedAt.UtcDateTime;
        Assert.Equal(at, d.ContainedAt);
        var windows = d.Exposure.ToDictionary(e => e.Resource, e => e.EndsBy);
        Assert.Equal(at.AddMinutes(15), windows["cae"]);
        Assert.Equal(at.AddMinutes(90), windows["entra-token"]);
        Assert.Equal(at.AddMinutes(5), windows["vpn"]); // a resource class from configuration, not code
        Assert.Equal(at.AddMinutes(480), windows["client-system:northwind-bank"]); // no session-kill endpoint: its lifetime
        Assert.Equal(at, windows["client-system:contoso-pay"]); // killed, acknowledged at containment
        Assert.Contains("no session-kill endpoint", d.Exposure.Single(e => e.Resource == "client-system:northwind-bank").Reason, StringComparison.Ordinal);
        Assert.Contains("acknowledged", d.Exposure.Single(e => e.Resource == "client-system:contoso-pay").Reason, StringComparison.Ordinal);
        Assert.Equal(at.AddMinutes(480), d.ExposureEndsBy);

        SessionKillCall call = Assert.Single(host.Host.Services.GetRequiredService<SimulatedClientSystems>().Kills("contoso-pay"));
        Assert.True(call.SignatureValid);
        Assert.Equal($"{id}:session-kill:contoso-pay", call.IdempotencyKey);
        JsonNode body = JsonNode.Parse(call.Body)!;
        Assert.Equal(Ravi, (string?)body["userPrincipalName"]);
        Assert.Equal(id, (string?)body["incidentId"]);
        Assert.Empty(host.Host.Services.GetRequiredService<SimulatedClientSystems>().Kills("northwind-bank"));
    }

    [Fact]
    public async Task Session_kill_answered_503_with_Retry_After_is_retried_with_the_same_key_and_signature()
    {
        await using RecordingServer client = await RecordingServer.StartNewAsync();
        client.Enqueue(HttpStatusCode.ServiceUnavailable, retryAfter: "1");
        await using TestHost host = await TestHost.StartAsync(world: TestHost.EditedWorld(w => TestHost.Client(w, "contoso-pay")["sessionKillUrl"] = client.BaseUrl + "/kill"));
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.ContainedAt is not null);

        Assert.Equal(2, client.Requests.Count);
        RecordedRequest first = client.Requests[0], second = client.Requests[1];
        Assert.Equal($"{id}:session-kill:contoso-pay", first.Headers["Idempotency-Key"]);
        Assert.Equal(first.Headers["Idempotency-Key"], second.Headers["Idempotency-Key"]);
        Assert.Equal(first.Body, second.Body);
        string key = host.Host.Services.GetRequiredService<IOptions<WebhookOptions>>().Value.SigningKey;
        Assert.True(SignedWebhook.Verify(Encoding.UTF8.GetBytes(second.Body), key, second.Headers["X-Cordon-Signature"]));
        Assert.False(SignedWebhook.Verify(Encoding.UTF8.GetBytes(second.Body.Replace(Ravi, "someone.else@vendor.example", StringComparison.Ordinal)), key, second.Headers["X-Cordon-Signature"]));
        ExposureWindow window = d.Exposure.Single(e => e.Resource == "client-system:contoso-pay");
        Assert.Equal(d.ContainedAt, window.EndsBy);
        Assert.DoesNotContain(d.Timeline, t => t.Step == "session kill failed");
    }

    [Fact]
    public async Task Failed_session_kill_keeps_the_session_lifetime_window_records_it_and_alerts_operators()
    {
        await using RecordingServer client = await RecordingServer.StartNewAsync();
        for (int i = 0; i < 10; i++)
        {
            client.Enqueue(HttpStatusCode.InternalServerError);
        }

        await using TestHost host = await TestHost.StartAsync(world: TestHost.EditedWorld(w => TestHost.Client(w, "contoso-pay")["sessionKillUrl"] = client.BaseUrl + "/kill"));
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "contained"), seconds: 60);

        Assert.True(client.Requests.Count > 1, "the failing endpoint was retried");
        Assert.All(client.Requests, r => Assert.Equal($"{id}:session-kill:contoso-pay", r.Headers["Idempotency-Key"]));
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled); // containment itself went ahead
        ExposureWindow window = d.Exposure.Single(e => e.Resource == "client-system:contoso-pay");
        Assert.Equal(d.ContainedAt!.Value.AddMinutes(240), window.EndsBy);
        Assert.Contains("session kill failed", window.Reason, StringComparison.Ordinal);
        Assert.Contains(d.Timeline, t => t.Step == "session kill failed" && t.Detail.Contains("contoso-pay", StringComparison.Ordinal));
        Assert.Contains(host.Host.Outbox.List(), m => m.Category == "operator-alert" && m.Subject.Contains("session kill failed", StringComparison.OrdinalIgnoreCase));
        Assert.True(d.ExposureEndsBy >= d.ContainedAt);
    }
}
