using System.Collections.Concurrent;
using Azure.Core;
using Cordon.Adapters.Graph;
using Cordon.Adapters.SendGrid;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Cordon.Tests.Reliability;

/// <summary>
/// The real Graph and SendGrid adapters, plugged into the engine, against local servers that throttle,
/// fail, hang or answer garbage: the adapter retries, the step retries, and then the incident waits
/// for an operator with the failure on its timeline — it never fails or stalls silently — and an
/// operator's retry resumes it once the service is healthy again.
/// </summary>
public sealed class ConnectorFaultTests
{
    const string Ravi = "ravi.k@vendor.example";

    [Theory]
    [InlineData(Fault.Throttled, StepRetries.MaxThrottledAttempts)] // each 429 handed back, its Retry-After waited on a durable timer
    [InlineData(Fault.TimedOut, 2)] // the adapter does not retry inside the activity: 2 step attempts
    [InlineData(Fault.ServerError, 2)] // 500 is not transient for Graph: only the step is retried
    [InlineData(Fault.Malformed, 2)]
    public async Task Graph_faults_during_containment_end_in_a_visible_wait_for_an_operator_and_retry_resumes(Fault fault, int attempts)
    {
        await using var graph = await FakeService.StartAsync(GraphAnswer);
        graph.Fault = fault;
        await using TestHost host = await TestHost.StartAsync(configure: s =>
        {
            s.AddSingleton<TokenCredential>(new FixedToken());
            s.AddCordonGraph(Config(new()
            {
                ["Cordon:Graph:BaseUrl"] = graph.BaseUrl + "/v1.0",
                ["Cordon:Graph:MaxRetries"] = "2",
                ["Cordon:Graph:RetryBaseDelay"] = "00:00:00.010",
                ["Cordon:Graph:RequestTimeout"] = "00:00:00.500",
            }));
        });

        var (_, id, _) = await host.SendSampleAsync();
        IncidentDetail waiting = await host.WaitForAsync(id, d => d.WaitingForOperator is not null, seconds: 60);
        await Eventually.Until(() => host.Host.Outbox.List(), mails => mails.Any(m => m.Category == "operator-alert"), TimeSpan.FromSeconds(30),
            "an operator alert in the outbox", mails => string.Join(", ", mails.Select(m => m.Category)));

        Assert.Equal("ContainSubject", waiting.WaitingForOperator!.Step);
        Assert.Equal("Running", waiting.RuntimeStatus);
        Assert.Contains(waiting.Timeline, t => t.Step == "step failed" && t.Detail.StartsWith("ContainSubject:", StringComparison.Ordinal));
        Assert.Contains(host.Host.Outbox.List(), m => m.Category == "operator-alert" && m.Subject.Contains("ContainSubject", StringComparison.Ordinal));
        Assert.Equal(1 + attempts, graph.Count("POST", "/revokeSignInSessions")); // intake's one attempt, then the step's
        Assert.Null(waiting.ContainedAt);

        graph.Fault = Fault.None;
        var retry = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "retry", @operator = "olga.ops", reason = "Graph healthy again" });
        Assert.Equal(202, (int)retry.StatusCode);
        IncidentDetail resumed = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.ContainedAt is not null, seconds: 60);
        Assert.Null(resumed.WaitingForOperator);
        Assert.Contains(graph.Requests, r => r.Method == "PATCH" && r.Body.Contains("\"accountEnabled\":false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_throttled_Graph_call_is_waited_out_on_a_durable_timer_and_containment_then_completes()
    {
        int revokes = 0;
        await using var graph = await FakeService.StartAsync(async (ctx, fault) =>
        {
            // The first at intake (which leaves it to the incident), the second the incident step's first attempt.
            if (ctx.Request.Path.Value!.EndsWith("/revokeSignInSessions", StringComparison.Ordinal) && Interlocked.Increment(ref revokes) <= 2)
            {
                ctx.Response.Headers.RetryAfter = "2";
                await ctx.Response.WriteAsJsonAsync(new { error = new { code = "TooManyRequests", message = "Too many requests" } });
                return 429;
            }

            return await GraphAnswer(ctx, fault);
        });
        await using TestHost host = await TestHost.StartAsync(configure: s =>
        {
            s.AddSingleton<TokenCredential>(new FixedToken());
            s.AddCordonGraph(Config(new() { ["Cordon:Graph:BaseUrl"] = graph.BaseUrl + "/v1.0" }));
        });

        var (_, id, _) = await host.SendSampleAsync();
        IncidentDetail contained = await host.WaitForAsync(id, d => d.ContainedAt is not null, seconds: 60);

        // The step's 429 went back to the orchestration, which waited the 2 s of Retry-After and ran the step again.
        var calls = graph.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/revokeSignInSessions", StringComparison.Ordinal)).ToList();
        Assert.Equal([429, 429, 200], calls.Select(r => r.Answered));
        Assert.InRange(calls[2].At - calls[1].At, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(30));
        Assert.Null(contained.WaitingForOperator);
        Assert.DoesNotContain(contained.Timeline, t => t.Step == "step failed");
        Assert.Contains(graph.Requests, r => r.Method == "PATCH" && r.Body.Contains("\"accountEnabled\":false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_throttled_approval_mail_is_waited_out_on_a_durable_timer_and_sent_once()
    {
        int sends = 0;
        await using var sendGrid = await FakeService.StartAsync(async (ctx, fault) =>
        {
            if (Interlocked.Increment(ref sends) == 1)
            {
                ctx.Response.Headers.RetryAfter = "2";
                await ctx.Response.WriteAsJsonAsync(new { errors = new[] { new { message = "too many requests" } } });
                return 429;
            }

            return await SendGridAnswer(ctx, fault);
        });
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddCordonSendGrid(Config(new()
        {
            ["Cordon:Email:SendGridApiKey"] = "SG.test-key",
            ["Cordon:Email:From"] = "cordon@cordon-customer.example",
            ["Cordon:Email:Host"] = sendGrid.BaseUrl,
        })));

        var (_, id, _) = await host.SendSampleAsync();
        IncidentDetail asked = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "gate opened" && t.Detail.Contains("asked", StringComparison.Ordinal)), seconds: 60);

        // The 429 went back to the orchestration, which waited its 2 s on a durable timer and ran the step again.
        var calls = sendGrid.Requests.Where(r => r.Body.Contains("approval-request", StringComparison.Ordinal)).ToList();
        Assert.Equal([429, 202], calls.Select(r => r.Answered));
        Assert.InRange(calls[1].At - calls[0].At, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(30));
        Assert.Null(asked.WaitingForOperator);
        Assert.DoesNotContain(asked.Timeline, t => t.Step == "step failed");
    }

    [Theory]
    [InlineData(Fault.Throttled, StepRetries.MaxThrottledAttempts)] // each 429 handed back, its Retry-After waited on a durable timer
    [InlineData(Fault.ServerError, 2)] // the sender sends each request once: 2 step attempts
    [InlineData(Fault.TimedOut, 2)] // sent, answer lost: SendGrid may have accepted it, so the sender does not send it again; the step retries
    [InlineData(Fault.Malformed, 2)] // a 400 with an HTML body: the step retry tries once more
    public async Task SendGrid_faults_on_approval_mail_end_in_a_visible_wait_for_an_operator_and_retry_resumes(Fault fault, int attempts)
    {
        await using var sendGrid = await FakeService.StartAsync(SendGridAnswer);
        sendGrid.Fault = fault;
        await using TestHost host = await TestHost.StartAsync(configure: s =>
        {
            s.AddCordonSendGrid(Config(new()
            {
                ["Cordon:Email:SendGridApiKey"] = "SG.test-key",
                ["Cordon:Email:From"] = "cordon@cordon-customer.example",
                ["Cordon:Email:Host"] = sendGrid.BaseUrl,
            }));
            // Long enough for the fake to have read (and recorded) a request before the client gives up on it: at 500 ms a
            // loaded CI machine sometimes timed out before the fake's handler ran, and an attempt went uncounted (3 of 4).
            s.AddHttpClient(SendGridEmailSender.HttpClientName).ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(2));
        });

        var (_, id, _) = await host.SendSampleAsync();
        // The operator alert cannot go out through the same broken service: that too lands on the timeline. Throttled,
        // the step and then the operator alert each make their 30 attempts a second apart at least (Retry-After: 0 is
        // waited as StepRetries.ShortestThrottleWait), a minute of waiting.
        IncidentDetail waiting = await host.WaitForAsync(id, d => d.WaitingForOperator is not null && d.Timeline.Any(t => t.Step == "operator alert failed"),
            seconds: fault == Fault.Throttled ? 180 : 60);

        Assert.Equal("SendApprovalRequests", waiting.WaitingForOperator!.Step);
        Assert.Equal("Running", waiting.RuntimeStatus);
        Assert.Contains(waiting.Timeline, t => t.Step == "step failed" && t.Detail.Contains("SendGrid", StringComparison.Ordinal));
        Assert.NotNull(waiting.ContainedAt); // containment does not wait for mail
        int approvalAttempts = sendGrid.Requests.Count(r => r.Body.Contains("approval-request", StringComparison.Ordinal));
        Assert.Equal(attempts, approvalAttempts);

        sendGrid.Fault = Fault.None;
        var retry = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "retry", @operator = "olga.ops", reason = "SendGrid healthy again" });
        Assert.Equal(202, (int)retry.StatusCode);
        IncidentDetail resumed = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "gate opened"), seconds: 60);
        Assert.Null(resumed.WaitingForOperator);
        Assert.Equal(Stages.AwaitingConfirmation, resumed.Stage);
        Assert.Contains(sendGrid.Requests, r => r.Body.Contains("sam.lead@cordon-customer.example", StringComparison.Ordinal) && r.Answered == 202);
    }

    public enum Fault { None, Throttled, ServerError, TimedOut, Malformed }

    static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    /// <summary>Graph v1.0 for one healthy user; the fault applies to writes (reads stay healthy for evidence).</summary>
    static async Task<int> GraphAnswer(HttpContext ctx, Fault fault)
    {
        string path = ctx.Request.Path.Value ?? "";
        bool write = ctx.Request.Method is "POST" or "PATCH" or "DELETE";
        if (write && fault != Fault.None)
        {
            return await Faulty(ctx, fault);
        }

        ctx.Response.ContentType = "application/json";
        if (ctx.Request.Method == "PATCH")
        {
            return 204;
        }

        if (path.EndsWith("/revokeSignInSessions", StringComparison.Ordinal))
        {
            await ctx.Response.WriteAsync("""{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":true}""");
            return 200;
        }

        await ctx.Response.WriteAsync(path.Contains("/memberOf/", StringComparison.Ordinal) || path.EndsWith("/appRoleAssignments", StringComparison.Ordinal)
            ? """{"value":[]}"""
            : $$"""{"id":"6f1d2c3b-0000-4000-8000-000000000042","userPrincipalName":"{{Ravi}}","accountEnabled":true,"assignedLicenses":[]}""");
        return 200;
    }

    /// <summary>SendGrid v3 mail/send: 202 with a message id when healthy.</summary>
    static async Task<int> SendGridAnswer(HttpContext ctx, Fault fault)
    {
        if (fault != Fault.None)
        {
            return await Faulty(ctx, fault);
        }

        ctx.Response.Headers["X-Message-Id"] = Guid.NewGuid().ToString("N");
        return 202;
    }

    static async Task<int> Faulty(HttpContext ctx, Fault fault)
    {
        switch (fault)
        {
            case Fault.Throttled:
                ctx.Response.Headers.RetryAfter = "0";
                await ctx.Response.WriteAsJsonAsync(new { error = new { code = "TooManyRequests", message = "Too many requests" } });
                return 429;
            case Fault.ServerError:
                await ctx.Response.WriteAsJsonAsync(new { error = new { code = "InternalServerError", message = "upstream failure" } });
                return 500;
            case Fault.TimedOut:
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return 504;
            default: // malformed: a proxy's HTML page where JSON was promised
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("<html><body>Bad gateway {\"value\": tru");
                return ctx.Request.Path.StartsWithSegments("/v3") ? 400 : 200;
        }
    }

    /// <summary>A request as it arrived (recorded before it is answered, so a hung answer is counted too).</summary>
    public sealed record Recorded(string Method, string Path, string Body)
    {
        public DateTimeOffset At { get; } = DateTimeOffset.UtcNow;

        public int Answered { get; set; }
    }

    /// <summary>A local HTTP server on 127.0.0.1 that records each request and answers through a handler.</summary>
    sealed class FakeService : IAsyncDisposable
    {
        readonly WebApplication app;
        readonly ConcurrentQueue<Recorded> requests = new();

        FakeService(WebApplication app) => this.app = app;

        public volatile Fault Fault;

        public string BaseUrl => app.Urls.First();

        public IReadOnlyList<Recorded> Requests => requests.ToList();

        public int Count(string method, string pathEnd) => requests.Count(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal));

        public static async Task<FakeService> StartAsync(Func<HttpContext, Fault, Task<int>> answer)
        {
            FakeService? service = null; // set before anyone knows the address
            (WebApplication app, _) = await LoopbackServer.StartAsync(async ctx =>
            {
                using var reader = new StreamReader(ctx.Request.Body);
                string body = await reader.ReadToEndAsync();
                var recorded = new Recorded(ctx.Request.Method, ctx.Request.Path.Value ?? "", body);
                service!.requests.Enqueue(recorded);
                recorded.Answered = await Answer(ctx, service.Fault, answer);
            });
            return service = new FakeService(app);
        }

        static async Task<int> Answer(HttpContext ctx, Fault fault, Func<HttpContext, Fault, Task<int>> answer)
        {
            // The handler writes its body first and chooses the status after; buffer the body until then.
            using var buffer = new MemoryStream();
            Stream original = ctx.Response.Body;
            ctx.Response.Body = buffer;
            int status = await answer(ctx, fault);
            ctx.Response.Body = original;
            ctx.Response.StatusCode = status;
            if (buffer.Length > 0 && status != 204)
            {
                buffer.Position = 0;
                await buffer.CopyToAsync(original);
            }

            return status;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    sealed class FixedToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("test-token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
