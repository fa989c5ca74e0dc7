using System.Net;
using Cordon.Alerts;

namespace Cordon.Tests.Reliability;

/// <summary>
/// When the incident store stops answering (the Durable Task backend down, its storage timing out), every HTTP
/// function answers 503 with Retry-After — an alert not acknowledged, so its producer sends it again — never a 500.
/// </summary>
public sealed class StoreUnavailableTests
{
    [Fact]
    public async Task Store_down_answers_503_with_retry_after_on_alerts_lists_and_incidents()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (status, id, _) = await host.SendSampleAsync();
        Assert.Equal(202, status);

        // The sidecar stops: the host's Durable Task client now gets "unavailable" from the wire, as from a backend outage.
        await host.Host.Backend.DisposeAsync();

        foreach (string url in new[] { "/api/incidents", $"/api/incidents/{id}", "/api/incidents?status=closed" })
        {
            using HttpResponseMessage r = await host.Http.GetAsync(url);
            await AssertUnavailableAsync(r, url);
        }

        string alert = (await File.ReadAllTextAsync(Repo.Path("samples/alerts/critical-bribery.json"))).Replace("\"alertId\": \"", "\"alertId\": \"again-", StringComparison.Ordinal);
        using var content = new StringContent(alert, System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage posted = await host.Http.PostAsync("/api/alerts", content);
        await AssertUnavailableAsync(posted, "POST /api/alerts");
    }

    static async Task AssertUnavailableAsync(HttpResponseMessage r, string what)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, $"{what}: {(int)r.StatusCode} {body}");
        Assert.Equal(TimeSpan.FromSeconds(StoreUnavailable.RetryAfterSeconds), r.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Incident store unavailable", body, StringComparison.Ordinal);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData(Grpc.Core.StatusCode.Unavailable, true)]
    [InlineData(Grpc.Core.StatusCode.Unknown, true)]
    [InlineData(Grpc.Core.StatusCode.DeadlineExceeded, true)]
    [InlineData(Grpc.Core.StatusCode.NotFound, false)]
    [InlineData(Grpc.Core.StatusCode.InvalidArgument, false)]
    [InlineData(Grpc.Core.StatusCode.AlreadyExists, false)]
    [InlineData(Grpc.Core.StatusCode.ResourceExhausted, false)]
    [InlineData(Grpc.Core.StatusCode.Internal, false)]
    public void Backend_failures_are_the_stores_and_request_errors_are_not(Grpc.Core.StatusCode code, bool unavailable) =>
        Assert.Equal(unavailable, StoreUnavailable.Matches(new Grpc.Core.RpcException(new Grpc.Core.Status(code, "x"))));

    [Fact]
    [Trait("Category", "Unit")]
    public void Storage_server_errors_and_wrapped_timeouts_are_the_stores_and_cordons_own_bugs_are_not()
    {
        Assert.True(StoreUnavailable.Matches(new Azure.RequestFailedException(503, "busy")));
        Assert.True(StoreUnavailable.Matches(new InvalidOperationException("wrapped", new TimeoutException())));
        Assert.False(StoreUnavailable.Matches(new Azure.RequestFailedException(409, "conflict")));
        Assert.False(StoreUnavailable.Matches(new NullReferenceException()));
        Assert.False(StoreUnavailable.Matches(new ArgumentException("bad")));
    }
}
