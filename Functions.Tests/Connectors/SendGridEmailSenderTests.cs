using Cordon.Notification;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Cordon.Adapters.SendGrid;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Cordon.Tests.Connectors;

/// <summary>
/// The SendGrid adapter with the real SendGrid client, pointed (Host option) at a local recording
/// HTTP server: asserts the request that would leave, chunking, and that nothing is waited out or sent again
/// inside the sender (a manual TimeProvider records any wait asked for).
/// </summary>
public sealed class SendGridEmailSenderTests : IAsyncLifetime, IAsyncDisposable
{
    const string ApiKey = "SG.test-key.abc123";
    readonly RecordingServer server = new();
    readonly ManualTimeProvider time = new();

    public Task InitializeAsync() => server.StartAsync();

    Task IAsyncLifetime.DisposeAsync() => server.StopAsync();

    ValueTask IAsyncDisposable.DisposeAsync() => server.DisposeAsync(); // stopped already: nothing left to do

    static EmailMessage Approval(params string[] to) => new(
        to,
        "Approve containment — INC-42",
        "<p>Please <a clicktracking=off href=\"https://cordon.example/api/approvals/tok\">decide</a>.</p>",
        "Please decide: https://cordon.example/api/approvals/tok",
        "approval-request",
        new Dictionary<string, string> { ["incidentId"] = "INC-42", ["gateId"] = "confirm-1", ["kind"] = "approval-request" });

    ServiceProvider Services(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cordon:Email:SendGridApiKey"] = ApiKey,
            ["Cordon:Email:From"] = "cordon@security.example",
            ["Cordon:Email:Host"] = server.BaseUrl,
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddCordonSendGrid(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task Sends_one_request_with_the_full_SendGrid_shape()
    {
        server.Enqueue(HttpStatusCode.Accepted, messageId: "msg-1");
        await using ServiceProvider sp = Services();
        IEmailSender sender = sp.GetRequiredService<IEmailSender>();
        Assert.IsType<SendGridEmailSender>(sender);

        string id = await sender.SendAsync(Approval("lead@client.example"), CancellationToken.None);

        Assert.Equal("msg-1", id);
        RecordedRequest request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v3/mail/send", request.Path);
        Assert.Equal($"Bearer {ApiKey}", request.Headers["Authorization"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);

        JsonElement body = request.Json;
        JsonElement personalization = Assert.Single(body.GetProperty("personalizations").EnumerateArray());
        JsonElement to = Assert.Single(personalization.GetProperty("to").EnumerateArray());
        Assert.Equal("lead@client.example", to.GetProperty("email").GetString());
        Assert.Equal("cordon@security.example", body.GetProperty("from").GetProperty("email").GetString());
        Assert.Equal("Cordon", body.GetProperty("from").GetProperty("name").GetString());
        Assert.Equal("Approve containment — INC-42", body.GetProperty("subject").GetString());

        var content = body.GetProperty("content").EnumerateArray()
            .ToDictionary(c => c.GetProperty("type").GetString()!, c => c.GetProperty("value").GetString()!);
        Assert.Equal("Please decide: https://cordon.example/api/approvals/tok", content["text/plain"]);
        Assert.Contains("clicktracking=off", content["text/html"], StringComparison.Ordinal);

        JsonElement args = body.GetProperty("custom_args");
        Assert.Equal("INC-42", args.GetProperty("incidentId").GetString());
        Assert.Equal("confirm-1", args.GetProperty("gateId").GetString());
        Assert.Equal("approval-request", args.GetProperty("kind").GetString());
        Assert.Equal(["approval-request", "cordon"], body.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));

        JsonElement tracking = body.GetProperty("tracking_settings");
        Assert.False(tracking.GetProperty("click_tracking").GetProperty("enable").GetBoolean());
        Assert.False(tracking.GetProperty("click_tracking").GetProperty("enable_text").GetBoolean());
        Assert.False(tracking.GetProperty("open_tracking").GetProperty("enable").GetBoolean());
        Assert.False(body.GetProperty("mail_settings").GetProperty("sandbox_mode").GetProperty("enable").GetBoolean());
        Assert.Empty(time.RequestedDelays);
    }

    [Fact]
    public async Task Sandbox_mode_and_sender_name_come_from_the_options()
    {
        server.Enqueue(HttpStatusCode.OK, messageId: null); // sandbox: 200 and no message id
        await using ServiceProvider sp = Services(new() { ["Cordon:Email:SandboxMode"] = "true", ["Cordon:Email:FromName"] = "Cordon (staging)" });

        string id = await sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None);

        Assert.Equal(SendGridEmailSender.NoMessageId, id);
        JsonElement body = Assert.Single(server.Requests).Json;
        Assert.True(body.GetProperty("mail_settings").GetProperty("sandbox_mode").GetProperty("enable").GetBoolean());
        Assert.Equal("Cordon (staging)", body.GetProperty("from").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Recipients_are_split_into_requests_of_at_most_1000()
    {
        string[] recipients = Enumerable.Range(0, 2500).Select(i => $"contact{i}@client.example").ToArray();
        await using ServiceProvider sp = Services();

        string id = await sp.GetRequiredService<IEmailSender>().SendAsync(
            Approval(recipients) with { Category = "client-notice" }, CancellationToken.None);

        Assert.Equal(3, server.Requests.Count);
        var perRequest = server.Requests.Select(r => r.Json.GetProperty("personalizations").EnumerateArray()
            .SelectMany(p => p.GetProperty("to").EnumerateArray().Select(t => t.GetProperty("email").GetString()!)).ToList()).ToList();
        Assert.Equal([1000, 1000, 500], perRequest.Select(r => r.Count));
        Assert.Equal(recipients, perRequest.SelectMany(r => r));
        // One personalization per recipient: nobody sees the others.
        Assert.All(server.Requests, r => Assert.All(r.Json.GetProperty("personalizations").EnumerateArray(),
            p => Assert.Single(p.GetProperty("to").EnumerateArray())));
        Assert.Equal(string.Join(',', server.Requests.Select(r => r.AnsweredMessageId)), id);
        Assert.Equal(3, id.Split(',').Length);
    }

    [Fact]
    public async Task Duplicate_and_blank_recipients_are_dropped()
    {
        await using ServiceProvider sp = Services();

        await sp.GetRequiredService<IEmailSender>().SendAsync(
            Approval("a@client.example", " A@client.example ", "", "b@client.example"), CancellationToken.None);

        var to = Assert.Single(server.Requests).Json.GetProperty("personalizations").EnumerateArray()
            .Select(p => p.GetProperty("to")[0].GetProperty("email").GetString());
        Assert.Equal(["a@client.example", "b@client.example"], to);
    }

    [Fact]
    public async Task Too_many_requests_hands_its_Retry_After_to_the_step_and_waits_for_nothing_in_the_activity()
    {
        // 40 s: longer than the 30 s a queue message stays invisible on Azure Storage. Waited out in here (as before),
        // the step's message came back and a second copy of the step could send the mail beside it.
        server.Enqueue(HttpStatusCode.TooManyRequests, body: """{"errors":[{"message":"too many requests"}]}""", retryAfter: "40");
        server.Enqueue(HttpStatusCode.Accepted, messageId: "never-reached");
        await using ServiceProvider sp = Services();

        Task<string> send = sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None);
        var ex = await Assert.ThrowsAsync<MailThrottledException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(TimeSpan.FromSeconds(40), ex.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(40), Cordon.World.ThrottleWait.In(ex.Message)); // what the orchestration reads back
        Assert.Contains("too many requests", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
        Assert.Empty(time.RequestedDelays);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, false)] // refused: the step's policy retries it
    [InlineData(HttpStatusCode.ServiceUnavailable, true)] // busy: a throttle, waited out by the step like a 429
    public async Task Server_errors_are_sent_once_and_say_no_copy_was_delivered(HttpStatusCode answer, bool throttle)
    {
        server.Enqueue(answer, body: "oops");
        server.Enqueue(HttpStatusCode.Accepted, messageId: "never-reached");
        await using ServiceProvider sp = Services();

        var ex = await Assert.ThrowsAnyAsync<MailRefusedException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(throttle, ex is MailThrottledException);
        Assert.Single(server.Requests);
        Assert.Empty(time.RequestedDelays);
    }

    [Fact]
    public async Task Rate_limit_reset_header_is_handed_on_when_Retry_After_is_absent()
    {
        long reset = time.GetUtcNow().AddSeconds(3).ToUnixTimeSeconds();
        server.Enqueue(HttpStatusCode.TooManyRequests, body: "slow down", extraHeaders: new() { ["X-RateLimit-Reset"] = reset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await using ServiceProvider sp = Services();

        var ex = await Assert.ThrowsAsync<MailThrottledException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(TimeSpan.FromSeconds(3), ex.RetryAfter);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Bad_request_throws_with_SendGrid_error_text_and_is_not_retried()
    {
        const string error = """{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null}]}""";
        server.Enqueue(HttpStatusCode.BadRequest, body: error);
        await using ServiceProvider sp = Services();

        var ex = await Assert.ThrowsAsync<MailRefusedException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None));

        Assert.Contains("The from address does not match a verified Sender Identity.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("400", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
        Assert.Empty(time.RequestedDelays);
    }

    [Fact]
    public async Task A_Retry_After_beyond_MaxRetryDelay_is_handed_on_capped()
    {
        server.Enqueue(HttpStatusCode.TooManyRequests, body: "daily limit", retryAfter: "3600");
        await using ServiceProvider sp = Services();

        var ex = await Assert.ThrowsAsync<MailThrottledException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(TimeSpan.FromSeconds(60), ex.RetryAfter);
        Assert.Single(server.Requests);
        Assert.Empty(time.RequestedDelays);
    }

    [Theory]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData(HttpStatusCode.BadGateway)]
    public async Task A_gateway_error_leaves_delivery_in_doubt_and_is_not_sent_again(HttpStatusCode answer)
    {
        // The gateway had no good answer from SendGrid, which may have taken the mail: sent again here, an unmarked copy.
        server.Enqueue(answer, body: "upstream timed out");
        server.Enqueue(HttpStatusCode.Accepted, messageId: "never-reached");
        await using ServiceProvider sp = Services();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.IsNotType<MailRefusedException>(ex, exactMatch: false);
        Assert.Contains("leaves open whether SendGrid took the mail", ex.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task SendGrid_never_reached_is_a_refusal()
    {
        string host = server.BaseUrl;
        await server.StopAsync(); // nothing listens there now: every connection is refused
        await using ServiceProvider sp = Services(new() { ["Cordon:Email:Host"] = host });

        var ex = await Assert.ThrowsAsync<MailRefusedException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval("lead@client.example"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("could not be reached", ex.Message, StringComparison.Ordinal);
        Assert.Empty(time.RequestedDelays);
    }

    [Fact]
    public async Task A_refused_later_batch_reports_the_ids_already_accepted()
    {
        server.Enqueue(HttpStatusCode.Accepted, messageId: "first-batch");
        server.Enqueue(HttpStatusCode.BadRequest, body: "invalid address in batch two");
        string[] recipients = Enumerable.Range(0, 1001).Select(i => $"c{i}@client.example").ToArray();
        await using ServiceProvider sp = Services();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            sp.GetRequiredService<IEmailSender>().SendAsync(Approval(recipients), CancellationToken.None));

        Assert.Contains("invalid address in batch two", ex.Message, StringComparison.Ordinal);
        Assert.Contains("first-batch", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Missing_settings_fail_at_start_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddCordonSendGrid(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build());
        await using ServiceProvider sp = services.BuildServiceProvider();

        // What the host runs at start because of ValidateOnStart.
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Cordon:Email:SendGridApiKey is missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cordon:Email:From is missing", ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IEmailSender>());
    }

    [Fact]
    public async Task Unresolved_Key_Vault_reference_is_reported()
    {
        await using ServiceProvider sp = Services(new() { ["Cordon:Email:SendGridApiKey"] = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/sendgrid)" });

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("unresolved Key Vault reference", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_settings_pass_start_validation()
    {
        await using ServiceProvider sp = Services();
        sp.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(TimeSpan.FromSeconds(60), sp.GetRequiredService<IOptions<SendGridOptions>>().Value.MaxRetryDelay);
    }

    // ----- test doubles -------------------------------------------------------------------------

    /// <summary>A TimeProvider whose clock moves only when told (or, with AutoAdvance, jumps to each
    /// timer's due time at once). Records every delay asked for.</summary>
    sealed class ManualTimeProvider : TimeProvider
    {
        readonly object gate = new();
        readonly List<ManualTimer> timers = [];
        readonly List<TimeSpan> delays = [];
        readonly Channel<TimeSpan> created = Channel.CreateUnbounded<TimeSpan>();
        DateTimeOffset now = new(2025, 6, 1, 9, 0, 0, TimeSpan.Zero);

        public bool AutoAdvance { get; set; }

        public IReadOnlyList<TimeSpan> RequestedDelays
        {
            get
            {
                lock (gate)
                {
                    return [.. delays];
                }
            }
        }

        public override DateTimeOffset GetUtcNow()
        {
            lock (gate)
            {
                return now;
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(this, callback, state);
            lock (gate)
            {
                delays.Add(dueTime);
                if (AutoAdvance)
                {
                    now += dueTime;
                }
                else
                {
                    timer.DueAt = now + dueTime;
                    timers.Add(timer);
                }
            }

            if (AutoAdvance)
            {
                ThreadPool.QueueUserWorkItem(_ => callback(state));
            }

            created.Writer.TryWrite(dueTime);
            return timer;
        }

        /// <summary>Waits until the code under test starts a timer; returns its due time.</summary>
        public async Task<TimeSpan> WaitForTimerAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await created.Reader.ReadAsync(timeout.Token);
        }

        public void Advance(TimeSpan by)
        {
            List<ManualTimer> due;
            lock (gate)
            {
                now += by;
                due = timers.Where(t => t.DueAt <= now).ToList();
                timers.RemoveAll(due.Contains);
            }

            foreach (ManualTimer timer in due)
            {
                timer.Fire();
            }
        }

        void Remove(ManualTimer timer)
        {
            lock (gate)
            {
                timers.Remove(timer);
            }
        }

        sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
        {
            public DateTimeOffset DueAt { get; set; }

            public void Fire() => callback(state);

            public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException("not needed by Task.Delay");

            public void Dispose() => owner.Remove(this);

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
